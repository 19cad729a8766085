// The runs table's experiment columns, read on the extension host from each run's folder. A
// run's summary is cached by its metrics.jsonl's size and time, so a table of hundreds of long
// runs is read once, and a live run again only when it has grown.
import * as fs from 'fs';
import { CONFIG_FIELDS, getConfigPath, jsonKeyOf } from '../engine/config';
import {
  readAnnotations,
  readMetricsFile,
  RunConfigFile,
  runPaths,
  RunStatus,
  summarizeEvents,
} from '../engine/runFolder';
import type { ConfigValue, RunSummary } from './protocol';

/** The config keys shown as columns: every seqlab.json key that holds one value (not glob lists). */
const COLUMNS = CONFIG_FIELDS.flatMap((f) => {
  const k = jsonKeyOf(f);
  return k && f.type !== 'string[]' ? [{ key: k, path: f.key }] : [];
});

/** A run's config as flat seqlab.json keys, plus the task where one is recorded. */
export function flatConfig(c: RunConfigFile): Record<string, ConfigValue> {
  const out: Record<string, ConfigValue> = {};
  const task = (c as unknown as { task?: unknown }).task ?? (c.train as unknown as { task?: unknown }).task;
  if (typeof task === 'string') out.task = task;
  for (const { key, path } of COLUMNS) {
    const v = getConfigPath(c.train, path);
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))
      out[key] = v;
  }
  return out;
}

const cache = new Map<string, { sig: string; stats: NonNullable<RunSummary['stats']> }>();

function statsOf(runDir: string): RunSummary['stats'] {
  const file = runPaths(runDir).metrics;
  let sig: string;
  try {
    const st = fs.statSync(file);
    sig = `${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
  const hit = cache.get(runDir);
  if (hit?.sig === sig) return hit.stats;
  const stats = summarizeEvents(readMetricsFile(file).events);
  cache.set(runDir, { sig, stats });
  return stats;
}

/** The optional experiment fields of a run's row (config, stats, notes, group, pruned). */
export function experimentFields(
  runDir: string,
  config: RunConfigFile | undefined,
  status: RunStatus | undefined,
): Partial<RunSummary> {
  const notes = readAnnotations(runDir);
  const out: Partial<RunSummary> = {};
  if (config) out.config = flatConfig(config);
  const stats = statsOf(runDir);
  if (stats) out.stats = stats;
  if (Object.keys(notes).length) out.notes = notes;
  if (config?.group) out.group = config.group;
  if (config?.parent?.step !== undefined) out.parentStep = config.parent.step;
  if (status?.pruned) out.pruned = `pruned at step ${status.pruned.step}: ${status.pruned.reason}`;
  return out;
}
