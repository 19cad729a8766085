import * as fs from 'fs';
import * as path from 'path';
import { SeqLabError } from '../errors';

/**
 * The files of a run folder `<root>/.seqlab/runs/<id>/`. Every reader and writer takes the names
 * from here, so that the layout is changed (or versioned) in one place.
 */
export const RUN_FILES = {
  config: 'config.json',
  status: 'status.json',
  metrics: 'metrics.jsonl',
  checkpoints: 'checkpoints',
  /** Held while a process trains the run (pid, host, start time). */
  lock: 'train.lock',
  /** In a compare-cells experiment's folder (a sibling of its runs). */
  compare: 'compare.json',
  compareTable: 'compare.md',
  sweepTable: 'sweep.md',
  /** In a sweep's folder (a sibling of its runs): the sweep's plan and each run's state. */
  sweep: 'sweep.json',
  /** A run's user annotations from the dashboard: display name, colour, tags, notes. */
  annotations: 'annotations.json',
} as const;

export interface RunPaths {
  dir: string;
  config: string;
  status: string;
  metrics: string;
  checkpoints: string;
  lock: string;
}

export function runPaths(runDir: string): RunPaths {
  return {
    dir: runDir,
    config: path.join(runDir, RUN_FILES.config),
    status: path.join(runDir, RUN_FILES.status),
    metrics: path.join(runDir, RUN_FILES.metrics),
    checkpoints: path.join(runDir, RUN_FILES.checkpoints),
    lock: path.join(runDir, RUN_FILES.lock),
  };
}

export function runsDir(root: string): string {
  return path.join(root, '.seqlab', 'runs');
}

/** Where `.seqlab/runs` goes for a training folder: `out` if given, else the folder (a file's folder). */
export function runsRootFor(folder: string, out?: string): string {
  if (out) return path.resolve(out);
  return fs.statSync(folder).isFile() ? path.dirname(path.resolve(folder)) : path.resolve(folder);
}

/**
 * `mkdir -p`, one level at a time from the nearest folder that exists. Node's recursive mkdir
 * never returns under a virtual file system that refuses new entries with ENOENT (/proc), and
 * elsewhere reports the deepest path, not the folder that refused; this names the one that did.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  while (!fs.existsSync(at)) {
    missing.unshift(at);
    const up = path.dirname(at);
    if (up === at) break;
    at = up;
  }
  if (!fs.statSync(at).isDirectory()) throw outputError(dir, at, 'is a file, not a folder');
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EEXIST' && fs.statSync(d).isDirectory()) continue;
      const why =
        e.code === 'EROFS'
          ? 'is on a read-only file system'
          : e.code === 'EACCES' || e.code === 'EPERM'
            ? 'is not writable'
            : e.code === 'ENOENT'
              ? 'does not accept new folders (a virtual or read-only file system)'
              : `refused a new folder (${e.code ?? e.message})`;
      throw outputError(dir, path.dirname(d), why);
    }
  }
}

function outputError(dir: string, at: string, why: string): SeqLabError {
  return new SeqLabError(
    'E_OUTPUT',
    `Cannot create ${dir}: ${at} ${why}`,
    at,
    'Choose a writable output folder: --out on the command line; in VS Code, train in a writable workspace folder.',
  );
}

/**
 * Creates `<root>/.seqlab/runs` and, the first time, a `.seqlab/.gitignore` of `*` so that runs
 * and checkpoints stay out of the user's repository (an existing file is left alone).
 */
export function ensureRunsDir(root: string): string {
  const dir = runsDir(root);
  makeDirs(dir);
  const gi = path.join(root, '.seqlab', '.gitignore');
  if (!fs.existsSync(gi))
    fs.writeFileSync(gi, '# Written by SeqLab: runs and checkpoints are not source.\n*\n');
  return dir;
}

/** Creates a new run's folder with its checkpoints folder; a clear error when it cannot. */
export function createRunDir(root: string, runId: string): string {
  const runDir = path.join(runsDir(root), runId);
  try {
    ensureRunsDir(root);
    makeDirs(runPaths(runDir).checkpoints);
  } catch (err) {
    if (err instanceof SeqLabError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new SeqLabError(
      'E_OUTPUT',
      `Cannot create the run folder ${runDir}: ${e.message}`,
      runDir,
      'Choose a writable output folder: --out on the command line; in VS Code, train in a writable workspace folder.',
    );
  }
  return runDir;
}
