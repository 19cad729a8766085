/**
 * Sequence to sequence in `npm run parity` (PARITY_ONLY=seq2seq): the same encoder–decoder
 * (BPE 1000 shared, embedding 64, 1×LSTM 128 each side, the state bridge, Luong general attention)
 * and recipe (Adam 3e-3, clip 5, label smoothing 0.1, batch 32, constant rate, length-bucketed
 * batches, greedy decoding) in SeqLab and in PyTorch (bench/torch_seq2seq.py), on the same token
 * ids: English→French gettext messages (scripts/build-gettext-pairs.mjs). Both sides' outputs are
 * scored by SeqLab's BLEU and chrF against the same references, so the metric is the same.
 * Parity: mean over 3 seeds within 1 point.
 *
 * The budget is a setting: PARITY_SEQ2SEQ_STEPS (default 300, a few minutes on two cores, where
 * both sides are still below the copy-the-source baseline; at 1,500, about 5 minutes a seed, both
 * are past it in BLEU) and PARITY_SEQ2SEQ_SEEDS (comma-separated, default 1,2,3), so a longer
 * budget can run one seed at a time. PARITY_SEQ2SEQ_FEED=1 runs the comparison with input feeding
 * on both sides (`seq2seq.inputFeeding`, the script's --input-feeding) instead.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_TRAIN_CONFIG, mergeConfig, TrainConfig } from '../src/engine/config';
import type { TrainEvent } from '../src/engine/events';
import { corpusBleu } from '../src/engine/metrics/bleu';
import { corpusChrf } from '../src/engine/metrics/chrf';
import { prepareSeq2seqData, Seq2seqData } from '../src/engine/tasks/seq2seq/data';
import { greedyBatch } from '../src/engine/tasks/seq2seq/decode';
import { seq2seqOptions } from '../src/engine/tasks/seq2seq/options';
import { readPairs } from '../src/engine/tasks/seq2seq/pairs';
import { loadSeq2seq } from '../src/engine/tasks/seq2seq/spec';
import { trainTask } from '../src/engine/tasks/registry';
import { initBackend } from '../src/engine/wasm/backend';
import { tmpDir } from '../test/helpers/util';
import { runTorchScript, torchUnavailable } from './torch';

export const S2S_RECIPE = {
  cell: 'lstm',
  embedding: 64,
  hidden: 128,
  layers: 1,
  bidirectional: false,
  score: 'general',
  tokenizer: 'bpe',
  vocabSize: 1000,
  batch: 32,
  lr: 3e-3,
  clip: 5,
  labelSmoothing: 0.1,
  maxLen: 40,
  maxLenRatio: 2,
  steps: Number(process.env.PARITY_SEQ2SEQ_STEPS ?? 300),
  valPairs: 300,
  beam: 4,
  lengthPenalty: 1,
  beamSentences: 30,
  threads: 2,
} as const;
const SEEDS = (process.env.PARITY_SEQ2SEQ_SEEDS ?? '1,2,3').split(',').map(Number);
const FEED = process.env.PARITY_SEQ2SEQ_FEED === '1';
const SCRIPT = 'torch_seq2seq.py';
/** How many final training batches the reported loss averages (the script's own 20). */
const LOSS_TAIL = 20;

/** The English→French pairs (built once per machine under the temp folder): train.tsv, test.tsv. */
export function gettextPairs(): string {
  const base = path.join(os.tmpdir(), 'seqlab-gettext-pairs');
  if (!fs.existsSync(path.join(base, 'test.tsv')))
    execFileSync(process.execPath, [path.resolve(__dirname, '../../scripts/build-gettext-pairs.mjs'), base], {
      stdio: 'pipe',
    });
  return base;
}

export function s2sConfig(seed: number, steps: number, inputFeeding = false): TrainConfig {
  const r = S2S_RECIPE;
  return mergeConfig(DEFAULT_TRAIN_CONFIG, {
    task: 'seq2seq',
    model: { cell: r.cell, embedding: r.embedding, hidden: r.hidden, layers: r.layers, dropout: 0 },
    tokenizer: r.tokenizer,
    vocabSize: r.vocabSize,
    batch: r.batch,
    optimizer: 'adam',
    lr: r.lr,
    clip: r.clip,
    steps,
    evalEvery: steps,
    gradEvery: 0,
    seed,
    seq2seq: {
      bidirectional: r.bidirectional,
      score: r.score,
      labelSmoothing: r.labelSmoothing,
      maxLen: r.maxLen,
      maxLenRatio: r.maxLenRatio,
      bleuPairs: 1,
      beam: 1,
      ...(inputFeeding ? { inputFeeding } : {}),
    },
  });
}

/**
 * The pairs as the trainer reads, tokenizes and batches them (the same split, tokenizers and ids),
 * written for PyTorch; the validation subset both sides translate.
 */
export function prepareS2s(file: string): { data: Seq2seqData; dir: string } {
  const config = s2sConfig(1, 1);
  const options = seq2seqOptions(config);
  const splits = readPairs(file, {
    sourceKey: 'source',
    targetKey: 'target',
    valFraction: config.valFraction,
  });
  const data = prepareSeq2seqData(splits, config, options);
  const side = (v: typeof data.source) => ({ size: v.size, pad: v.pad, bos: v.bos, eos: v.eos });
  const ids = (ps: typeof data.train) => ps.map((p) => [Array.from(p.src), Array.from(p.tgt)]);
  const dir = tmpDir('seqlab-parity-s2s-');
  fs.writeFileSync(
    path.join(dir, 'data.json'),
    JSON.stringify({
      source: side(data.source),
      target: side(data.target),
      recipe: S2S_RECIPE,
      train: ids(data.train),
      val: ids(data.val.slice(0, S2S_RECIPE.valPairs)),
    }),
  );
  return { data, dir };
}

/** SeqLab's run: the final checkpoint's greedy outputs on the validation subset, and tokens/s. */
export async function seqlabS2s(
  file: string,
  data: Seq2seqData,
  seed: number,
  steps: number,
  decodeVal = true,
  inputFeeding = false,
): Promise<{ outputs: string[]; tokensPerSec: number; checkpoint: string; loss: number }> {
  const events: TrainEvent[] = [];
  const r = await trainTask({
    folder: file,
    out: tmpDir('seqlab-parity-s2s-run-'),
    config: s2sConfig(seed, steps, inputFeeding),
    onEvent: (e) => events.push(e),
  });
  const stepsEv = events.filter((e) => e.type === 'step').slice(1); // the first step warms up
  const seconds = stepsEv.reduce((a, e) => a + (e.type === 'step' ? 1 / e.tokensPerSec : 0), 0);
  const tokensPerSec = stepsEv.length / seconds;
  const tail = stepsEv.slice(-LOSS_TAIL).flatMap((e) => (e.type === 'step' ? [e.loss] : []));
  const loss = tail.reduce((a, x) => a + x, 0) / tail.length;
  if (!decodeVal) return { outputs: [], tokensPerSec, checkpoint: r.checkpoint!, loss };
  const m = loadSeq2seq(r.checkpoint!, 'Translating');
  const val = data.val.slice(0, S2S_RECIPE.valPairs);
  const ids: number[][] = [];
  for (let i = 0; i < val.length; i += 64)
    ids.push(
      ...(await greedyBatch(m.model, m.source, m.target, val.slice(i, i + 64), S2S_RECIPE.maxLenRatio)),
    );
  m.model.dispose();
  return { outputs: ids.map((x) => m.target.decode(x)), tokensPerSec, checkpoint: r.checkpoint!, loss };
}

export interface TorchS2s {
  hyps?: number[][];
  tokens_per_s: number;
  /** The mean training loss of the last LOSS_TAIL batches. */
  loss_tail: number;
  sentences_per_s?: number;
  beam_mean_length?: number;
}

export function torchS2s(
  mode: 'parity' | 'speed',
  dir: string,
  seed: number,
  steps = 0,
  inputFeeding = false,
): TorchS2s {
  return runTorchScript<TorchS2s>(SCRIPT, [
    mode,
    '--data',
    dir,
    '--seed',
    String(seed),
    '--steps',
    String(steps),
    ...(inputFeeding ? ['--input-feeding'] : []),
  ]);
}

function scores(outputs: string[], refs: string[]): { bleu: number; chrf: number } {
  return { bleu: corpusBleu(outputs, refs).score, chrf: corpusChrf(outputs, refs) };
}

export async function paritySeq2seq(): Promise<Record<string, unknown> | undefined> {
  const noTorch = torchUnavailable();
  if (noTorch) {
    console.log(`seq2seq parity skipped: ${noTorch}`);
    return undefined;
  }
  await initBackend('wasm');
  const file = path.join(gettextPairs(), 'train.tsv');
  const { data, dir } = prepareS2s(file);
  const val = data.val.slice(0, S2S_RECIPE.valPairs);
  const refs = val.map((p) => p.pair.target);
  const copy = scores(
    val.map((p) => p.pair.source),
    refs,
  );
  console.log(
    `seq2seq: ${data.train.length} training pairs, ${val.length} validation pairs scored; copy-the-source baseline BLEU ${copy.bleu.toFixed(1)}, chrF ${copy.chrf.toFixed(1)}`,
  );
  const label = FEED ? ' (input feeding)' : '';
  const rows: {
    seed: number;
    seqlab: { bleu: number; chrf: number };
    torch: { bleu: number; chrf: number };
  }[] = [];
  for (const seed of SEEDS) {
    const sr = await seqlabS2s(file, data, seed, S2S_RECIPE.steps, true, FEED);
    const tr = torchS2s('parity', dir, seed, 0, FEED);
    const s = scores(sr.outputs, refs);
    const t = scores(
      tr.hyps!.map((ids) => data.target.decode(ids)),
      refs,
    );
    rows.push({ seed, seqlab: s, torch: t });
    // The loss only with input feeding, so the default lines stay as they were.
    const losses = FEED
      ? `; training loss (last ${LOSS_TAIL} batches) SeqLab ${sr.loss.toFixed(3)}, PyTorch ${tr.loss_tail.toFixed(3)}`
      : '';
    console.log(
      `seq2seq${label} seed ${seed}: SeqLab BLEU ${s.bleu.toFixed(1)} chrF ${s.chrf.toFixed(1)}; PyTorch BLEU ${t.bleu.toFixed(1)} chrF ${t.chrf.toFixed(1)}${losses}`,
    );
  }
  const mean = (side: 'seqlab' | 'torch', k: 'bleu' | 'chrf') =>
    rows.reduce((a, r) => a + r[side][k], 0) / rows.length;
  const gap = (k: 'bleu' | 'chrf') => mean('seqlab', k) - mean('torch', k);
  const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
  const above = (side: 'seqlab' | 'torch') =>
    mean(side, 'bleu') > copy.bleu && mean(side, 'chrf') > copy.chrf ? 'above' : 'not above';
  console.log(
    `seq2seq${label} against the copy baseline: SeqLab ${above('seqlab')}, PyTorch ${above('torch')} (BLEU ${copy.bleu.toFixed(1)}, chrF ${copy.chrf.toFixed(1)})`,
  );
  console.log(
    `seq2seq${label} parity (${S2S_RECIPE.steps} steps, mean of ${rows.length} seeds): BLEU SeqLab ${mean('seqlab', 'bleu').toFixed(1)}, PyTorch ${mean('torch', 'bleu').toFixed(1)} (${sign(gap('bleu'))}); chrF SeqLab ${mean('seqlab', 'chrf').toFixed(1)}, PyTorch ${mean('torch', 'chrf').toFixed(1)} (${sign(gap('chrf'))}); goal within 1 point`,
  );
  return {
    steps: S2S_RECIPE.steps,
    ...(FEED ? { inputFeeding: true } : {}),
    rows,
    copy,
    bleu: { seqlab: mean('seqlab', 'bleu'), torch: mean('torch', 'bleu'), gap: gap('bleu') },
    chrf: { seqlab: mean('seqlab', 'chrf'), torch: mean('torch', 'chrf'), gap: gap('chrf') },
  };
}
