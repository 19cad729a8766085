/**
 * Child process of the bench's shard section: trains the reference config for a few steps on the
 * folder argv[2], from a shard (argv[3] = 'on', written first and timed) or in memory ('off'), and
 * prints the shard's write time, the tokens per second and the peak resident memory.
 */
import * as fs from 'fs';
import { ensureShard } from '../src/engine/data/shard';
import { DEFAULT_TRAIN_CONFIG, mergeConfig } from '../src/engine/config';
import { train } from '../src/engine/trainer';
import { initBackend } from '../src/engine/wasm/backend';
import { tmpDir } from '../test/helpers/util';

async function main(): Promise<void> {
  await initBackend('wasm');
  const [folder, mode, stepsArg] = process.argv.slice(2);
  const config = mergeConfig(DEFAULT_TRAIN_CONFIG, {
    model: { cell: 'lstm', embedding: 64, hidden: 256, layers: 2, dropout: 0 },
    seqLen: 64,
    batch: 32,
    steps: Number(stepsArg ?? 12),
    evalEvery: 1e6,
    sampleLength: 50,
    tokenizer: 'char',
  });
  const out = tmpDir('seqlab-shard-bench-');
  let shardSeconds: number | null = null;
  if (mode === 'on') {
    // The same shard the run would write; timed on its own, then reused by the run.
    const t0 = Date.now();
    ensureShard(folder, out, {
      include: config.include,
      exclude: config.exclude,
      maxFileBytes: config.maxFileBytes,
      valFraction: config.valFraction,
      tokenizer: { kind: config.tokenizer, vocabSize: config.vocabSize },
    });
    shardSeconds = (Date.now() - t0) / 1000;
  }
  const tps: number[] = [];
  let tokens = 0;
  await train({
    folder,
    out,
    config,
    shard: mode === 'on' ? 'on' : 'off',
    onEvent: (e) => {
      if (e.type === 'step' && e.step > 1) tps.push(e.tokensPerSec);
      if (e.type === 'start') tokens = e.corpus.trainTokens + e.corpus.valTokens;
    },
  });
  // The shard of a 2 GB corpus is 4 GB: not left behind in the temporary folder.
  fs.rmSync(out, { recursive: true, force: true });
  const tokensPerSec = tps.length / tps.reduce((a, r) => a + 1 / r, 0);
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ mode, tokens, shardSeconds, tokensPerSec, maxRssMB }));
}

void main();
