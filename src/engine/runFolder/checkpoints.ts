import * as fs from 'fs';
import * as path from 'path';
import { CheckpointData, readManifest, removeCheckpointDir, saveCheckpoint } from '../checkpoint';
import { processAlive } from './lock';
import { runPaths } from './layout';
import { readStatus, updateStatus } from './status';
import type { RunStatus } from './schema';

/**
 * A run's checkpoints: `checkpoints/step-<8 digits>/`, written under a temporary name
 * (`.tmp-step-…`) and renamed into place. Naming, listing, the latest, writing with its status
 * update, and pruning all live here.
 */
const NAME = /^step-(\d+)$/;
/** A checkpoint folder, or one being written (`.tmp-step-…-<pid>-<hex>`); not one being deleted. */
const ENTRY = /^(?:\.tmp-)?step-(\d+)/;
/** The writer's pid in a temporary's name `.tmp-step-…-<pid>-<hex>`. */
const TMP_PID = /^\.tmp-step-\d+-(\d+)-[0-9a-f]+$/;

/** A temporary checkpoint folder whose writer is still alive (one left by a crash is not). */
function beingWritten(name: string): boolean {
  const m = TMP_PID.exec(name);
  return !!m && processAlive(Number(m[1]));
}

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** The step of a checkpoint folder name; undefined for anything else. */
export function checkpointStep(name: string): number | undefined {
  const m = NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}

export interface CheckpointEntry {
  /** The checkpoint's name (`step-…`), also for one being written. */
  name: string;
  dir: string;
  step: number;
  /** A temporary folder: the checkpoint is being written right now. */
  inProgress: boolean;
}

/** Every checkpoint folder of a run, finished or being written, newest step first. */
export function listCheckpointEntries(runDir: string): CheckpointEntry[] {
  const dir = runPaths(runDir).checkpoints;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: CheckpointEntry[] = [];
  for (const name of names) {
    const m = ENTRY.exec(name);
    if (!m) continue;
    const inProgress = name.startsWith('.tmp-');
    // A crash's leftovers (and folders being deleted) are not checkpoints; the next start sweeps them.
    if (inProgress && !beingWritten(name)) continue;
    out.push({
      name: inProgress ? `step-${m[1]}` : name,
      dir: path.join(dir, name),
      step: Number(m[1]),
      inProgress,
    });
  }
  return out.sort((a, b) => b.step - a.step);
}

/** Names of the finished step checkpoints (with or without a manifest), oldest first. */
function stepNames(runDir: string): string[] {
  return fs
    .readdirSync(runPaths(runDir).checkpoints)
    .filter((n) => NAME.test(n))
    .sort();
}

/** Latest checkpoint of a run by step (ignores temporary folders and ones without a manifest). */
export function latestCheckpoint(runDir: string): string | undefined {
  const dir = runPaths(runDir).checkpoints;
  if (!fs.existsSync(dir)) return undefined;
  const names = stepNames(runDir).filter((n) => fs.existsSync(path.join(dir, n, 'manifest.json')));
  return names.length ? path.join(dir, names[names.length - 1]) : undefined;
}

/**
 * The checkpoints with the lowest validation loss on disk, read from their manifests: status.json
 * may lag behind (a crash between the rename and its update) or be damaged.
 */
export function bestOnDisk(runDir: string): string[] {
  const losses = stepNames(runDir).flatMap((n) => {
    try {
      const v = readManifest(path.join(runPaths(runDir).checkpoints, n)).valLoss;
      return typeof v === 'number' && Number.isFinite(v) ? [[n, v] as const] : [];
    } catch {
      return [];
    }
  });
  const min = Math.min(...losses.map(([, v]) => v));
  return losses.filter(([, v]) => v === min).map(([n]) => n);
}

/**
 * Keeps the newest `keep` step checkpoints, the best on disk (by the manifests' valLoss) and the
 * one status.json calls best. Each doomed one is renamed away before it is deleted, so a crash
 * never leaves a half-deleted checkpoint under its final name. Best effort: never fails a run.
 */
export function pruneCheckpoints(runDir: string, keep: number): void {
  try {
    const spare = new Set(bestOnDisk(runDir));
    const best = readStatus(runDir)?.best;
    if (best) spare.add(best);
    const names = stepNames(runDir);
    for (const n of names.slice(0, Math.max(0, names.length - keep)))
      if (!spare.has(n)) removeCheckpointDir(path.join(runPaths(runDir).checkpoints, n));
  } catch {
    // A folder that cannot be listed now will fail the next save with a proper message.
  }
}

export interface CommitOptions {
  isBest: boolean;
  /** How many step checkpoints to keep (the best is kept besides). */
  keep: number;
  /** Called once the checkpoint and status.json are written, before pruning. */
  announce?: (dir: string) => void;
}

/**
 * Writes the checkpoint of `step` atomically, records it in status.json (latest, and best when it
 * is), then prunes the older ones. Returns its folder.
 */
export function commitCheckpoint(
  runDir: string,
  step: number,
  data: CheckpointData,
  o: CommitOptions,
): string {
  const name = checkpointName(step);
  const dir = path.join(runPaths(runDir).checkpoints, name);
  saveCheckpoint(dir, data);
  const st: Partial<RunStatus> = { step, latest: name };
  if (o.isBest) st.best = name;
  updateStatus(runDir, st);
  o.announce?.(dir);
  pruneCheckpoints(runDir, o.keep);
  return dir;
}
