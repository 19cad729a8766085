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

/**
 * Screenshots the dashboard panels `ids` alone, for the README: a taller window so that they all
 * fit, then the usual one again. `above` is the margin kept above the first panel.
 * @param {{ page: import('playwright-core').Page, section: (id: string) => import('playwright-core').Locator,
 *   out: string, painted: () => Promise<void>, log: (...a: unknown[]) => void }} t
 * @param {string} name
 * @param {string[]} ids
 * @param {number} [above]
 */
export async function cropPanels({ page, section, out, painted, log }, name, ids, above = 8) {
  await page.setViewportSize({ width: 1400, height: 1700 });
  await painted();
  await section(ids[0]).scrollIntoViewIfNeeded();
  await painted();
  const boxes = (await Promise.all(ids.map((id) => section(id).boundingBox()))).filter(Boolean);
  const x = Math.min(...boxes.map((b) => b.x)) - 8;
  const y = Math.min(...boxes.map((b) => b.y)) - above;
  const clip = {
    x,
    y,
    width: Math.max(...boxes.map((b) => b.x + b.width)) + 8 - x,
    height: Math.max(...boxes.map((b) => b.y + b.height)) + 8 - y,
  };
  await page.screenshot({ path: path.join(out, `${name}.png`), clip });
  await page.setViewportSize({ width: 1400, height: 900 });
  await painted();
  log('cropped', name);
}
