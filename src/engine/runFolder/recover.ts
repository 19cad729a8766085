import * as fs from 'fs';
import * as path from 'path';
import { checkpointLoads } from '../checkpoint';
import { runPaths } from './layout';
import { runLockHolder } from './lock';

/** A crash's leftover checkpoint folder: `.tmp-step-<n>-<pid>-<hex>`, maybe with `-old`/`-deleted`. */
const TMP_CHECKPOINT = /^\.tmp-(step-\d+)-\d+-[0-9a-f]+(?:-(old|deleted))?$/;
/** A JSON file written by writeJsonAtomic (or the lock) and not yet renamed: `<name>.tmp-<pid>-<hex>`. */
const TMP_FILE = /\.tmp-\d+-[0-9a-f]+$/;

export interface Recovery {
  /** Checkpoints renamed into place from a complete temporary (the crash came just before). */
  restored: string[];
  /** Temporaries deleted. */
  removed: string[];
}

/**
 * Repairs what a crash left in a run folder, before it is trained again: a complete checkpoint left
 * under its temporary name (or moved aside by an older SeqLab, `-old`) whose final name is missing
 * is renamed into place; every other temporary folder or JSON file is deleted. Does nothing while
 * a live process holds the run's lock (its temporaries are in use).
 */
export function recoverRunFolder(runDir: string): Recovery {
  const r: Recovery = { restored: [], removed: [] };
  const holder = runLockHolder(runDir);
  if (holder && holder.pid !== process.pid) return r;
  const ckDir = runPaths(runDir).checkpoints;
  for (const name of list(ckDir)) {
    const m = TMP_CHECKPOINT.exec(name);
    if (!m) continue;
    const tmp = path.join(ckDir, name);
    const final = path.join(ckDir, m[1]);
    if (m[2] !== 'deleted' && !fs.existsSync(final) && checkpointLoads(tmp)) {
      fs.renameSync(tmp, final);
      r.restored.push(m[1]);
    } else {
      fs.rmSync(tmp, { recursive: true, force: true });
      r.removed.push(path.join(path.basename(ckDir), name));
    }
  }
  for (const name of list(runDir))
    if (TMP_FILE.test(name)) {
      fs.rmSync(path.join(runDir, name), { recursive: true, force: true });
      r.removed.push(name);
    }
  return r;
}

function list(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
