import * as fs from 'fs';
import * as path from 'path';
import { CheckpointManifest, readManifest } from '../engine/checkpoint';
import { describeError } from '../engine/errors';
import {
  CompareSpec,
  listCheckpointEntries,
  readCompareSpec,
  readSweepSpec,
  readRunConfig,
  readStatus,
  RunConfigFile,
  RunStatus,
  runsDir,
  SweepSpec,
} from '../engine/runFolder';

export type { RunConfigFile } from '../engine/runFolder';

export interface CheckpointInfo {
  name: string;
  dir: string;
  step: number;
  manifest?: CheckpointManifest;
  /** Why the checkpoint cannot be used; the tree shows it as broken. */
  error?: string;
  /** A temporary folder: the checkpoint is being written right now. */
  inProgress: boolean;
  isBest: boolean;
  isLatest: boolean;
}

export type RunState = 'running' | 'finished' | 'stopped' | 'failed' | 'interrupted' | 'unknown';

export interface RunInfo {
  id: string;
  dir: string;
  config?: RunConfigFile;
  status?: RunStatus;
  state: RunState;
  checkpoints: CheckpointInfo[];
  error?: string;
  /** Set for a compare-cells experiment's folder (its runs name it in config.group). */
  compare?: CompareSpec;
  /** Set for a sweep's folder (its runs name it in config.group). */
  sweep?: SweepSpec;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Cheap structural check for the tree: manifest, and .bin sizes against their manifests. */
function inspectCheckpoint(dir: string): { manifest?: CheckpointManifest; error?: string } {
  try {
    const manifest = readManifest(dir);
    for (const base of ['weights', 'optimizer', 'carry']) {
      const groups = readJson<{ weights: { shape: number[] }[] }[]>(path.join(dir, `${base}.json`));
      if (!groups?.[0]?.weights) return { manifest, error: `${base}.json is missing or unreadable` };
      const need = groups[0].weights.reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1) * 4, 0);
      let size = -1;
      try {
        size = fs.statSync(path.join(dir, `${base}.bin`)).size;
      } catch {
        return { manifest, error: `${base}.bin is missing` };
      }
      if (size !== need)
        return {
          manifest,
          error: `${base}.bin is ${size < need ? 'truncated' : 'too long'} (${size} of ${need} bytes)`,
        };
    }
    return { manifest };
  } catch (err) {
    return { error: describeError(err) };
  }
}

/**
 * Reads the runs under `<root>/.seqlab/runs`. `isActive(runDir)` says whether this window is
 * training that run; a run marked running that nobody is training was cut off (reload, crash)
 * and shows as interrupted.
 */
export function listRuns(root: string, isActive: (runDir: string) => boolean = () => false): RunInfo[] {
  const base = runsDir(root);
  let ids: string[];
  try {
    ids = fs
      .readdirSync(base, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
  return ids
    .sort()
    .reverse()
    .map((id) => readRun(path.join(base, id), isActive));
}

export function readRun(dir: string, isActive: (runDir: string) => boolean = () => false): RunInfo {
  const id = path.basename(dir);
  const compare = readCompareSpec(dir);
  if (compare) {
    // Still "running" with no run of it active in this window: it was cut off, like a run.
    const state: RunState =
      compare.status === 'running' &&
      !compare.runs.some((r) => isActive(path.join(path.dirname(dir), r.runId)))
        ? 'interrupted'
        : compare.status;
    return { id, dir, state, checkpoints: [], compare };
  }
  const sweep = readSweepSpec(dir);
  if (sweep) {
    // Marked running with none of its runs training anywhere: the sweep's process was cut off.
    const live = sweep.runs.some((r) => {
      const st = readStatus(path.join(path.dirname(dir), r.runId));
      return st?.status === 'running' && pidAlive(st.pid);
    });
    const state: RunState = sweep.status === 'running' && !live ? 'interrupted' : sweep.status;
    return { id, dir, state, checkpoints: [], sweep };
  }
  const config = readRunConfig(dir);
  const status = readStatus(dir);
  let state: RunState = status?.status ?? 'unknown';
  if (state === 'running' && !isActive(dir) && (status!.pid === process.pid || !pidAlive(status!.pid)))
    state = 'interrupted';
  const checkpoints: CheckpointInfo[] = listCheckpointEntries(dir).map((c) => ({
    ...c,
    ...(c.inProgress ? {} : inspectCheckpoint(c.dir)),
    isBest: !c.inProgress && c.name === status?.best,
    isLatest: false,
  }));
  const latest = checkpoints.find((c) => !c.inProgress && !c.error);
  if (latest) latest.isLatest = true;
  return {
    id,
    dir,
    config,
    status,
    state,
    checkpoints,
    error: config ? status?.error : 'config.json is missing or unreadable',
  };
}
