/**
 * A trained checkpoint kept between bench runs: the keystroke section's reference model trains
 * for many minutes, so with BENCH_KEYSTROKE_CHECKPOINT set it is trained once and reused while
 * what it was trained from (recipe, time, corpus) is the same. The folder holds `key.json` and a
 * copy of the checkpoint in `checkpoint/`; a different key trains afresh and replaces both.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** What the cached checkpoint depends on: anything JSON, compared by its sha256. */
export function cacheKey(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * The checkpoint in `dir` when its key is `key`; otherwise `make()` trains one, which is copied
 * into `dir` under that key. Without `dir`, `make()` every time.
 */
export async function cachedCheckpoint(
  dir: string | undefined,
  key: string,
  make: () => Promise<string>,
): Promise<{ checkpoint: string; reused: boolean }> {
  if (!dir) return { checkpoint: await make(), reused: false };
  const keyFile = path.join(dir, 'key.json');
  const copy = path.join(dir, 'checkpoint');
  try {
    const saved = JSON.parse(fs.readFileSync(keyFile, 'utf8')) as { key?: string };
    if (saved.key === key && fs.existsSync(path.join(copy, 'manifest.json')))
      return { checkpoint: copy, reused: true };
  } catch {
    // No cache yet, or an unreadable one: train afresh.
  }
  const made = await make();
  fs.rmSync(keyFile, { force: true });
  fs.rmSync(copy, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(made, copy, { recursive: true });
  // The key last: a copy cut short by a crash is never taken for a finished one.
  fs.writeFileSync(keyFile, JSON.stringify({ key, at: new Date().toISOString() }) + '\n');
  return { checkpoint: copy, reused: false };
}
