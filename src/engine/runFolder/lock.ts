import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SeqLabError } from '../errors';
import { runPaths } from './layout';

/** `train.lock` in a run folder: who is training it. */
export interface RunLockInfo {
  pid: number;
  host: string;
  startedAt: string;
}

export interface RunLock {
  readonly file: string;
  release(): void;
}

/** Whether a process with this pid exists on this machine (one we may not signal still exists). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): RunLockInfo | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as RunLockInfo;
    return typeof v?.pid === 'number' && typeof v.host === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The live process holding the run's lock, if any (a lock left by a dead process is stale). */
export function runLockHolder(runDir: string): RunLockInfo | undefined {
  const info = readLock(runPaths(runDir).lock);
  if (!info) return undefined;
  if (info.host === os.hostname() && !processAlive(info.pid)) return undefined;
  return info;
}

function lockedError(runDir: string, file: string, info: RunLockInfo): SeqLabError {
  const where = info.host === os.hostname() ? '' : ` on ${info.host}`;
  return new SeqLabError(
    'E_RUN_LOCKED',
    `Run ${path.basename(runDir)} is being trained by process ${info.pid}${where} (started ${info.startedAt})`,
    runDir,
    `Stop that run first, or wait for it to finish. If that process no longer exists, delete ${file}.`,
  );
}

/**
 * Takes the run's lock, so that two processes never train one run. The lock file is written
 * whole under a temporary name and linked into place (atomic, fails if one exists), so it is never
 * seen half-written. A lock whose process is dead on this host is stale and taken over; one held by
 * a live process (or by another host, which cannot be checked) is refused. Released by `release`
 * and, as a last resort, when the process exits.
 */
export function acquireRunLock(runDir: string): RunLock {
  const file = runPaths(runDir).lock;
  const info: RunLockInfo = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.writeFileSync(tmp, JSON.stringify(info));
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(tmp, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
        const holder = readLock(file);
        // An unreadable lock: written by no SeqLab we know of, or damaged; treat it as stale.
        if (holder && (holder.host !== os.hostname() || processAlive(holder.pid)))
          throw lockedError(runDir, file, holder);
        fs.rmSync(file, { force: true });
      }
    }
  } catch (err) {
    if (err instanceof SeqLabError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new SeqLabError(
      'E_OUTPUT',
      `Cannot lock the run folder ${runDir}: ${e.message}`,
      file,
      'Check that the run folder exists and is writable.',
    );
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    // Only our own lock: never one a later process took over.
    if (readLock(file)?.pid === process.pid) fs.rmSync(file, { force: true });
  };
  process.on('exit', release);
  return { file, release };
}
