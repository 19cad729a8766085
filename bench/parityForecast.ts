/**
 * The forecaster's parity (PARITY_ONLY=forecast) and throughput (BENCH_ONLY=forecast): SeqLab and
 * PyTorch train the same model (1×LSTM 32 over 22 years → the next year, MSE, Adam 5e-3, clip 5,
 * batch 32) on the same split of the yearly sunspot numbers in examples/forecast/sunspots.csv,
 * each over five seeds (400 steps); the validation MAEs should agree within 3%.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { mergeConfig } from '../src/engine/config';
import { readManifest } from '../src/engine/checkpoint';
import type { TrainEvent } from '../src/engine/events';
import { FORECAST_BASE_CONFIG } from '../src/engine/tasks/forecast/defaults';
import { trainForecaster } from '../src/engine/tasks/forecast/train';
import { initBackend } from '../src/engine/wasm/backend';
import { tmpDir } from '../test/helpers/util';
import { PYTHON, torchUnavailable } from './torch';

const CSV = path.resolve(__dirname, '../../examples/forecast/sunspots.csv');
const STEPS = Number(process.env.PARITY_FORECAST_STEPS ?? 400);
/** A few hundred windows learn noisily: the mean over seeds is compared, not one run. */
const SEEDS = Array.from({ length: Number(process.env.PARITY_FORECAST_SEEDS ?? 5) }, (_, i) => i + 1);
const RECIPE = {
  cell: 'lstm',
  hidden: 32,
  window: 22,
  horizon: 1,
  batch: 32,
  lr: 5e-3,
  clip: 5,
  valFraction: 0.2,
} as const;

async function seqlabRun(seed: number): Promise<{ mae: number; windowsPerSec: number }> {
  await initBackend('wasm');
  let last: { step: number; elapsed: number } | undefined;
  const r = await trainForecaster({
    folder: CSV,
    out: tmpDir('seqlab-parity-forecast-'),
    config: mergeConfig(FORECAST_BASE_CONFIG, {
      model: { cell: RECIPE.cell, hidden: RECIPE.hidden, layers: 1 },
      forecast: { target: 'SUNACTIVITY', window: RECIPE.window, horizon: RECIPE.horizon },
      batch: RECIPE.batch,
      lr: RECIPE.lr,
      clip: RECIPE.clip,
      valFraction: RECIPE.valFraction,
      steps: STEPS,
      evalEvery: STEPS,
      seed,
    }),
    onEvent: (e: TrainEvent) => {
      if (e.type === 'step') last = { step: e.step, elapsed: e.elapsedSeconds };
    },
  });
  const mae = readManifest(r.checkpoint!).metrics!.mae;
  // Over the whole run (a step takes a few milliseconds: one step's own rate is too coarse).
  return { mae, windowsPerSec: (last!.step * RECIPE.batch) / last!.elapsed };
}

function torchRun(seed: number): { mae: number; windows_per_s: number } {
  const script = path.resolve(__dirname, '../../bench/torch_forecast.py');
  const args = [
    script,
    '--csv',
    CSV,
    '--target',
    'SUNACTIVITY',
    '--steps',
    String(STEPS),
    '--seed',
    String(seed),
  ];
  for (const [k, v] of Object.entries({
    cell: RECIPE.cell,
    hidden: RECIPE.hidden,
    window: RECIPE.window,
    horizon: RECIPE.horizon,
    batch: RECIPE.batch,
    lr: RECIPE.lr,
    clip: RECIPE.clip,
    'val-fraction': RECIPE.valFraction,
  }))
    args.push(`--${k}`, String(v));
  const out = execFileSync(PYTHON, args, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '2' } });
  return JSON.parse(out.trim().split('\n').pop()!);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Runs both sides and prints the comparison; returns it for parity.json / results.json. */
export async function forecastParity(): Promise<Record<string, number> | undefined> {
  const noTorch = torchUnavailable();
  const ours = [];
  for (const s of SEEDS) ours.push(await seqlabRun(s));
  const seqlabMae = mean(ours.map((r) => r.mae));
  const seqlabRate = mean(ours.map((r) => r.windowsPerSec));
  console.log(
    `forecast (sunspots, ${STEPS} steps, ${SEEDS.length} seeds): SeqLab val MAE ${seqlabMae.toFixed(3)}, ${seqlabRate.toFixed(0)} windows/s`,
  );
  if (noTorch) {
    console.log(`forecast parity: PyTorch side skipped (${noTorch})`);
    return { seqlab_mae: seqlabMae, seqlab_windows_per_s: seqlabRate };
  }
  const theirs = SEEDS.map(torchRun);
  const torchMae = mean(theirs.map((r) => r.mae));
  const torchRate = mean(theirs.map((r) => r.windows_per_s));
  const ratio = seqlabMae / torchMae;
  console.log(
    `forecast parity: PyTorch val MAE ${torchMae.toFixed(3)}, ${torchRate.toFixed(0)} windows/s; MAE ratio ${ratio.toFixed(3)} (${Math.abs(ratio - 1) <= 0.03 ? 'within' : 'NOT within'} 3%); speed ${(seqlabRate / torchRate).toFixed(2)}× PyTorch`,
  );
  return {
    seqlab_mae: seqlabMae,
    torch_mae: torchMae,
    ratio,
    seqlab_windows_per_s: seqlabRate,
    torch_windows_per_s: torchRate,
  };
}
