/**
 * Child process of `npm run bench`: trains the reference config for a few steps on the folder given
 * as argv[2] and prints its peak resident memory (the whole process: Node, wasm heap, tensors).
 */
import { initBackend } from '../src/engine/wasm/backend';
import { CellKind, DEFAULT_TRAIN_CONFIG, mergeConfig } from '../src/engine/config';
import { train } from '../src/engine/trainer';
import { tmpDir } from '../test/helpers/util';

async function main(): Promise<void> {
  await initBackend('wasm');
  const cell = (process.argv[3] ?? 'lstm') as CellKind;
  await train({
    folder: process.argv[2],
    out: tmpDir('seqlab-rss-'),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, {
      model: { cell, embedding: 64, hidden: 256, layers: 2, dropout: 0 },
      seqLen: 64,
      batch: 32,
      steps: Number(process.argv[4] ?? 12),
      evalEvery: 6,
      sampleLength: 50,
      valFraction: 0,
    }),
  });
  console.log(JSON.stringify({ cell, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
}

void main();
