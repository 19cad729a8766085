// The runs table's experiment columns, read on the extension host from each run's folder. A
// run's summary and its thinned series for the charts are cached by its metrics.jsonl's size and
// time, so a table of hundreds of long runs is read once, and a live run again only when it has
// grown. The table needs only the summary, read without parsing the step lines; the series are
// parsed when the run is charted (or ahead of that, while the dashboard is idle).
import * as fs from 'fs';
import { CONFIG_FIELDS, getConfigPath, jsonKeyOf } from '../engine/config';
import {
  readAnnotations,
  readMetricsFile,
  RunConfigFile,
  runPaths,
  RunStatus,
  summarizeEvents,
  summarizeMetricsFile,
} from '../engine/runFolder';
import type { ConfigValue, RunSummary, SeriesPatch } from './protocol';
import { sampleSteps } from './sampleSteps';
import { addEvent, emptyPatch } from './series';

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

interface RunRead {
  sig: string;
  stats?: NonNullable<RunSummary['stats']>;
  series?: SeriesPatch;
}
const cache = new Map<string, RunRead>();

/** The cache entry of a run's metrics.jsonl as it is now (size and time), or undefined without one. */
function entry(runDir: string): RunRead | undefined {
  const file = runPaths(runDir).metrics;
  let sig: string;
  try {
    const st = fs.statSync(file);
    sig = `${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
  let hit = cache.get(runDir);
  if (hit?.sig !== sig) cache.set(runDir, (hit = { sig }));
  return hit;
}

/**
 * A run's stats for its table row. Only the summary is read (summarizeMetricsFile skips parsing the
 * step lines), so the table of hundreds of long runs shows before any run's curves are parsed.
 */
function statsOf(runDir: string): RunSummary['stats'] {
  const e = entry(runDir);
  if (!e) return undefined;
  return (e.stats ??= summarizeMetricsFile(runPaths(runDir).metrics));
}

/**
 * A run's whole history for the charts (a reset patch; a long run's steps thinned), as its
 * metrics.jsonl holds it now; an empty patch when there is no file yet.
 */
export function runSeries(runDir: string): SeriesPatch {
  const e = entry(runDir);
  if (!e) return emptyPatch(runDir, true);
  if (!e.series) {
    const events = readMetricsFile(runPaths(runDir).metrics).events;
    const full = emptyPatch(runDir, true);
    for (const x of events) addEvent(full, x);
    e.series = sampleSteps(full);
    e.stats ??= summarizeEvents(events);
  }
  return e.series;
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
