// What the workspace-owning e2e parts (tasks, translator) share: reading a run's events, and a
// failure that is reported as one check while the rest of the e2e still runs.
import fs from 'fs';
import path from 'path';

/** The events of one run's metrics.jsonl, by type. */
export function events(runDir) {
  const all = fs
    .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  return (type) => all.filter((e) => e.type === type);
}

/**
 * The part `tour` as one call: a failure inside it is one failed check named `what`, with a
 * screenshot `shotName`, and the e2e goes on (each such part reloads its own workspace).
 * @template T
 * @param {string} what
 * @param {string} shotName
 * @param {(t: T) => Promise<void>} tour
 * @returns {(t: T & { check: (name: string, ok: boolean, detail?: string) => void, shot: (name: string) => Promise<void> }) => Promise<void>}
 */
export function guardedPart(what, shotName, tour) {
  return async (t) => {
    try {
      await tour(t);
    } catch (err) {
      t.check(`${what}: ${String(err?.message ?? err).split('\n')[0]}`, false);
      await t.shot(shotName).catch(() => {});
    }
  };
}
