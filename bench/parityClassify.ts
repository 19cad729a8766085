/**
 * The classifier in `npm run parity` (PARITY_ONLY=classify) and `npm run bench` (BENCH_ONLY=classify):
 * the same model (char tokens, embedding 32, 1×LSTM 128, mean pooling, linear) and recipe (Adam
 * 3e-3, clip 5, batch 16, 400 steps, length-bucketed batches) in SeqLab and in PyTorch
 * (bench/torch_classify.py), on the same token ids: language identification of gettext messages
 * (scripts/build-langid-data.mjs, 6 languages, 100 training and 200 test messages each).
 * Parity: validation accuracy, mean over 3 seeds, within 1 point. Speed: training tokens/s.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_TRAIN_CONFIG, mergeConfig } from '../src/engine/config';
import type { TrainEvent } from '../src/engine/events';
import { encodeSet } from '../src/engine/tasks/classify/batch';
import { readLabelledData } from '../src/engine/tasks/classify/data';
import { trainTask } from '../src/engine/tasks/registry';
import { CharTokenizer } from '../src/engine/tokenizers';
import { initBackend } from '../src/engine/wasm/backend';
import { tmpDir } from '../test/helpers/util';
import { runTorchScript, torchUnavailable } from './torch';

const RECIPE = {
  cell: 'lstm',
  embedding: 32,
  hidden: 128,
  layers: 1,
  batch: 16,
  lr: 3e-3,
  clip: 5,
  steps: Number(process.env.PARITY_CLASSIFY_STEPS ?? 400),
  maxLen: 256,
  threads: 2,
} as const;
const SEEDS = [1, 2, 3];
const SCRIPT = 'torch_classify.py';

/** The labelled folder (built once per machine under the temp folder) and the ids PyTorch reads. */
function prepare(): { labelled: string; data: string } {
  const base = path.join(os.tmpdir(), 'seqlab-langid');
  if (!fs.existsSync(path.join(base, 'labelled')))
    execFileSync(process.execPath, [path.resolve(__dirname, '../../scripts/build-langid-data.mjs'), base], {
      stdio: 'pipe',
    });
  const labelled = path.join(base, 'labelled');
  const d = readLabelledData(labelled);
  // The tokenizer the trainer builds: characters of the training texts.
  const tok = CharTokenizer.train(
    d.train.map((x) => x.text),
    0,
  );
  const enc = (xs: typeof d.train) => {
    const s = encodeSet(xs, tok, d.labels, RECIPE.maxLen, 'head');
    return { seqs: s.seqs.map((q) => Array.from(q)), labels: s.labels };
  };
  const data = tmpDir('seqlab-parity-classify-');
  fs.writeFileSync(
    path.join(data, 'data.json'),
    JSON.stringify({
      vocabSize: tok.vocabSize,
      labels: d.labels,
      recipe: RECIPE,
      train: enc(d.train),
      val: enc(d.val),
    }),
  );
  return { labelled, data };
}

/** SeqLab's run: final validation accuracy and training tokens/s (valid tokens over step time). */
async function seqlab(
  labelled: string,
  seed: number,
  steps: number,
): Promise<{ accuracy: number; tokensPerSec: number }> {
  const events: TrainEvent[] = [];
  await trainTask({
    folder: labelled,
    out: tmpDir('seqlab-parity-classify-run-'),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, {
      task: 'classify',
      model: {
        cell: RECIPE.cell,
        embedding: RECIPE.embedding,
        hidden: RECIPE.hidden,
        layers: RECIPE.layers,
        dropout: 0,
      },
      tokenizer: 'char',
      batch: RECIPE.batch,
      optimizer: 'adam',
      lr: RECIPE.lr,
      clip: RECIPE.clip,
      steps,
      evalEvery: steps,
      gradEvery: 0,
      seed,
      classify: { pooling: 'mean', maxLen: RECIPE.maxLen },
    }),
    onEvent: (e) => events.push(e),
  });
  const evals = events.filter((e) => e.type === 'eval') as unknown as { accuracy: number }[];
  const stepsEv = events.filter((e) => e.type === 'step').slice(1); // the first step warms up
  const seconds = stepsEv.reduce((a, e) => a + (e.type === 'step' ? 1 / e.tokensPerSec : 0), 0);
  return { accuracy: evals[evals.length - 1].accuracy, tokensPerSec: stepsEv.length / seconds };
}

function torch(
  mode: 'parity' | 'speed',
  data: string,
  seed: number,
  steps = 0,
): { accuracy?: number; tokens_per_s: number } {
  return runTorchScript<{ accuracy?: number; tokens_per_s: number }>(SCRIPT, [
    mode,
    '--data',
    data,
    '--seed',
    String(seed),
    '--steps',
    String(steps),
  ]);
}

export async function parityClassify(): Promise<Record<string, unknown> | undefined> {
  const noTorch = torchUnavailable();
  if (noTorch) {
    console.log(`classifier parity skipped: ${noTorch}`);
    return undefined;
  }
  await initBackend('wasm');
  const { labelled, data } = prepare();
  const rows: { seed: number; seqlab: number; torch: number }[] = [];
  for (const seed of SEEDS) {
    const s = await seqlab(labelled, seed, RECIPE.steps);
    const t = torch('parity', data, seed);
    rows.push({ seed, seqlab: s.accuracy, torch: t.accuracy! });
    console.log(
      `classifier seed ${seed}: SeqLab accuracy ${(100 * s.accuracy).toFixed(1)}%, PyTorch ${(100 * t.accuracy!).toFixed(1)}%`,
    );
  }
  const mean = (k: 'seqlab' | 'torch') => rows.reduce((a, r) => a + r[k], 0) / rows.length;
  const gap = 100 * (mean('seqlab') - mean('torch'));
  console.log(
    `classifier parity: mean accuracy SeqLab ${(100 * mean('seqlab')).toFixed(1)}%, PyTorch ${(100 * mean('torch')).toFixed(1)}% (${gap >= 0 ? '+' : ''}${gap.toFixed(1)} points; goal within 1)`,
  );
  return { rows, seqlab: mean('seqlab'), torch: mean('torch'), gapPoints: gap };
}

/** Training tokens/s of the same classifier in SeqLab and PyTorch (goal: SeqLab ≥ 0.7×). */
export async function benchClassify(): Promise<Record<string, unknown> | undefined> {
  const noTorch = torchUnavailable();
  await initBackend('wasm');
  const { labelled, data } = prepare();
  const steps = 60;
  const s = await seqlab(labelled, 1, steps);
  const t = noTorch ? undefined : torch('speed', data, 1, steps);
  const ratio = t ? s.tokensPerSec / t.tokens_per_s : undefined;
  console.log(
    `classifier (1×lstm 128, batch 16, mean pooling): SeqLab ${Math.round(s.tokensPerSec)} tokens/s${t ? `, PyTorch ${Math.round(t.tokens_per_s)} (${ratio!.toFixed(2)}×; goal ≥ 0.7×)` : ` (PyTorch: ${noTorch})`}`,
  );
  return { seqlab: s.tokensPerSec, torch: t?.tokens_per_s ?? null, ratio: ratio ?? null };
}
