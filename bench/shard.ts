/**
 * Corpora bigger than memory: a generated corpus (BENCH_SHARD_MB, default 64 MB; 2048 for the
 * 2 GB measurement) tokenized into a shard and trained from it, each in a child process whose peak
 * resident memory is the figure; and, when it is small enough to fit, the same run in memory.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tmpDir } from '../test/helpers/util';
import { makeBigCorpus } from './shardCorpus';

/** Above this size the in-memory run is not attempted: it would need several times the text in memory. */
const MEMORY_RUN_MAX_MB = 256;

interface ChildResult {
  mode: string;
  tokens: number;
  shardSeconds: number | null;
  tokensPerSec: number;
  maxRssMB: number;
}

function child(folder: string, mode: 'on' | 'off', steps: number): ChildResult {
  const out = execFileSync(
    process.execPath,
    [path.join(__dirname, 'shardChild.js'), folder, mode, String(steps)],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

export function benchShard(log: (line: string) => void): Record<string, unknown> {
  const mb = Number(process.env.BENCH_SHARD_MB ?? 64);
  const steps = Number(process.env.BENCH_SHARD_STEPS ?? 12);
  const dir = path.join(process.env.BENCH_SHARD_DIR ?? tmpDir('seqlab-big-'), 'corpus');
  const t0 = Date.now();
  const bytes = makeBigCorpus(dir, mb);
  log(`generated ${(bytes / 1048576).toFixed(0)} MB in ${((Date.now() - t0) / 1000).toFixed(0)} s (${dir})`);
  try {
    const shard = child(dir, 'on', steps);
    log(
      `from a shard: written in ${shard.shardSeconds!.toFixed(1)} s (${(bytes / 1048576 / shard.shardSeconds!).toFixed(1)} MB/s, ${shard.tokens} tokens), ` +
        `${shard.tokensPerSec.toFixed(0)} tokens/s, peak RSS ${shard.maxRssMB.toFixed(0)} MB (writing and training)`,
    );
    const result: Record<string, unknown> = { mb, shard };
    if (mb <= MEMORY_RUN_MAX_MB) {
      const memory = child(dir, 'off', steps);
      log(
        `in memory:    ${memory.tokensPerSec.toFixed(0)} tokens/s, peak RSS ${memory.maxRssMB.toFixed(0)} MB`,
      );
      result.memory = memory;
    }
    return result;
  } finally {
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
}
