// The runs table's experiment columns, read on the extension host from each run's folder. A
// run's summary is cached by its metrics.jsonl's size and time, so a table of hundreds of long
// runs is read once, and a live run again only when it has grown. The same read yields the run's
// thinned series for the charts, so selecting the runs after the table shows parses nothing again.
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
  stats: NonNullable<RunSummary['stats']>;
  series: SeriesPatch;
}
const cache = new Map<string, RunRead>();

/** A run's metrics.jsonl read once per size and time: its stats and its series for the charts. */
function readRun(runDir: string): RunRead | undefined {
  const file = runPaths(runDir).metrics;
  let sig: string;
  try {
    const st = fs.statSync(file);
    sig = `${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
  const hit = cache.get(runDir);
  if (hit?.sig === sig) return hit;
  const events = readMetricsFile(file).events;
  const full = emptyPatch(runDir, true);
  for (const e of events) addEvent(full, e);
  const read = { sig, stats: summarizeEvents(events), series: sampleSteps(full) };
  cache.set(runDir, read);
  return read;
}

function statsOf(runDir: string): RunSummary['stats'] {
  return readRun(runDir)?.stats;
}

/**
 * A run's whole history for the charts (a reset patch; a long run's steps thinned), as its
 * metrics.jsonl holds it now; an empty patch when there is no file yet.
 */
export function runSeries(runDir: string): SeriesPatch {
  return readRun(runDir)?.series ?? emptyPatch(runDir, true);
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
