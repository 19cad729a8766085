import * as fs from 'fs';
import * as path from 'path';
import { SeqLabError } from '../errors';
import { acquireRunLock, RunLock } from './lock';
import { recoverRunFolder } from './recover';

/** The run folder named on resume: it must exist and be a folder. */
export function resumeRunDir(run: string): string {
  const runDir = path.resolve(run);
  if (!fs.existsSync(runDir) || !fs.statSync(runDir).isDirectory())
    throw new SeqLabError(
      'E_RESUME',
      `Run folder not found: ${runDir}`,
      runDir,
      'Give the path of a run folder (.seqlab/runs/<id>).',
    );
  return runDir;
}

/**
 * Locks a run to be resumed before its checkpoints are read (two processes must never train one
 * run), then repairs what a crash left in it; what was repaired goes to `notes` for the run's log.
 * Every engine and task resumes through here.
 */
export function lockForResume(run: string, notes: string[]): RunLock {
  const dir = resumeRunDir(run);
  const lock = acquireRunLock(dir);
  try {
    const r = recoverRunFolder(dir);
    for (const n of r.restored)
      notes.push(`recovered checkpoint ${n}, complete but not yet renamed when the run stopped`);
    if (r.removed.length) notes.push(`removed temporaries left by a crash: ${r.removed.join(', ')}`);
  } catch (err) {
    lock.release();
    throw err;
  }
  return lock;
}
