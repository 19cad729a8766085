/**
 * Child process of `npm run bench`: trains an LSTM language model for a
 * few steps on the backend named by argv[2] and prints one JSON line: tokens/s (after the first
 * step, which compiles the shaders) and the adapter. A process of its own because a process starts
 * Dawn once, and the environment (Vulkan driver) must be set before.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_TRAIN_CONFIG, mergeConfig } from '../src/engine/config';
import { train } from '../src/engine/trainer';
import { initBackend } from '../src/engine/wasm/backend';
import type { BackendChoice } from '../src/engine/wasm/backendNames';
import { tmpDir } from '../test/helpers/util';

async function main(): Promise<void> {
  const [backend, hidden, layers, batch, seqLen, steps] = [
    process.argv[2] as BackendChoice,
    ...process.argv.slice(3, 8).map(Number),
  ] as [BackendChoice, number, number, number, number, number];
  const info = await initBackend(backend);
  if (backend === 'webgpu' && info.name !== 'webgpu') {
    console.log(JSON.stringify({ backend: info.name, adapter: null, reason: info.reason }));
    return;
  }
  const folder = tmpDir('seqlab-bench-gpu-');
  const chars = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
  let text = '';
  let s = 7;
  while (text.length < (steps + 3) * batch * seqLen) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    text += chars[s % chars.length];
  }
  fs.writeFileSync(path.join(folder, 'corpus.txt'), text);
  const tps: number[] = [];
  await train({
    folder,
    out: tmpDir('seqlab-bench-gpu-out-'),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, {
      model: { cell: 'lstm', embedding: 64, hidden, layers, dropout: 0 },
      seqLen,
      batch,
      steps: steps + 1,
      evalEvery: 1e6,
      sampleLength: 0,
      valFraction: 0,
      backend,
    }),
    onEvent: (e) => {
      if (e.type === 'step' && e.step > 1) tps.push(e.tokensPerSec);
    },
  });
  tps.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      backend: info.name,
      adapter: info.adapter ?? null,
      tokens_per_s: tps[Math.floor(tps.length / 2)],
      config: { hidden, layers, batch, seqLen, steps },
    }),
  );
}

void main().then(() => process.exit(0));
