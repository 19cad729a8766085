/**
 * `npm run bench` (BENCH_ONLY=torch-engine): the PyTorch engine on the CPU with two processes
 * (gloo, one thread each) and with one (two threads), beside the built-in engine, on the
 * reference config: the whole engine (torchrun, data from the shard, DDP, metrics), not a bare
 * PyTorch loop. Step 1 (start-up and warm-up) is left out; rates are total tokens over total time.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CellKind, DEFAULT_TRAIN_CONFIG, mergeConfig, TrainConfig } from '../src/engine/config';
import type { TrainEvent } from '../src/engine/events';
import { trainTorch } from '../src/engine/torch';
import { train } from '../src/engine/trainer';
import { tmpDir } from '../test/helpers/util';
import { PYTHON, torchUnavailable } from './torch';

export interface EngineShape {
  vocab: number;
  embedding: number;
  hidden: number;
  layers: number;
  seqLen: number;
  batch: number;
  cell: CellKind;
}

/** A folder holding one file of exactly `vocab - 1` distinct characters, long enough for `steps`. */
export function charCorpus(s: EngineShape, steps: number): string {
  const dir = tmpDir('seqlab-bench-torch-');
  const chars = Array.from({ length: s.vocab - 1 }, (_, i) => String.fromCharCode(32 + i)).join('');
  const need = (steps + 2) * s.batch * s.seqLen + 2 * s.batch * s.seqLen;
  const out: string[] = [chars];
  let x = 1;
  for (let n = chars.length; n < need; n++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out.push(chars[x % chars.length]);
  }
  fs.writeFileSync(path.join(dir, 'corpus.txt'), out.join(''));
  return dir;
}

export function shapeConfig(s: EngineShape, steps: number): TrainConfig {
  return mergeConfig(DEFAULT_TRAIN_CONFIG, {
    model: { cell: s.cell, embedding: s.embedding, hidden: s.hidden, layers: s.layers, dropout: 0 },
    seqLen: s.seqLen,
    batch: s.batch,
    steps,
    evalEvery: 1e6,
    sampleLength: 0,
    gradEvery: 0,
    valFraction: 0,
    maxMemoryMB: 16 * 1024,
  });
}

/** Total tokens over total time of the steps after the first. */
export function steadyRate(): { onEvent: (e: TrainEvent) => void; rate: () => number } {
  const tps: number[] = [];
  return {
    onEvent: (e) => {
      if (e.type === 'step' && e.step > 1) tps.push(e.tokensPerSec);
    },
    rate: () => tps.length / tps.reduce((a, r) => a + 1 / r, 0),
  };
}

export async function benchTorchEngine(log: (line: string) => void): Promise<Record<string, unknown>> {
  const why = torchUnavailable();
  if (why) {
    log(`PyTorch engine skipped: ${why}`);
    return { skipped: why };
  }
  const steps = Number(process.env.BENCH_TORCH_ENGINE_STEPS ?? 9);
  const shape: EngineShape = {
    vocab: 96,
    embedding: 64,
    hidden: 256,
    layers: 2,
    seqLen: 64,
    batch: 32,
    cell: 'lstm',
  };
  const folder = charCorpus(shape, steps);
  const config = shapeConfig(shape, steps);
  const builtIn = steadyRate();
  await train({ folder, out: tmpDir('seqlab-bench-out-'), config, onEvent: builtIn.onEvent });
  const rows: Record<string, number> = { builtin: Math.round(builtIn.rate()) };
  for (const [name, nproc, threads] of [
    ['torch_2proc', 2, 1],
    ['torch_1proc', 1, 2],
  ] as const) {
    const r = steadyRate();
    await trainTorch({
      folder,
      out: tmpDir('seqlab-bench-out-'),
      config: { ...config, engine: 'torch' },
      python: PYTHON,
      device: 'cpu',
      nproc,
      threads,
      onEvent: r.onEvent,
    });
    rows[name] = Math.round(r.rate());
  }
  log(
    `reference LSTM on the CPU: built-in ${rows.builtin} tok/s; PyTorch engine 2 processes (gloo, 1 thread each) ${rows.torch_2proc} tok/s, 1 process (2 threads) ${rows.torch_1proc} tok/s; built-in / PyTorch 2 processes ${(rows.builtin / rows.torch_2proc).toFixed(2)}×`,
  );
  return {
    tokens_per_s: rows,
    steps,
    builtin_over_torch_2proc: +(rows.builtin / rows.torch_2proc).toFixed(3),
  };
}
