import { SeqLabError } from './errors';
import type { TokenizerKind } from './tokenizers';

export type CellKind = 'rnn' | 'lstm' | 'gru';
export type Activation = 'tanh' | 'relu';
export type OptimizerKind = 'adam' | 'sgd' | 'rmsprop';
export type ScheduleKind = 'constant' | 'cosine' | 'step';

export interface ModelConfig {
  cell: CellKind;
  /** Only for `rnn`: f in h_t = f(W_h h_{t-1} + W_x x_t + b_h). */
  activation: Activation;
  vocabSize: number;
  embedding: number;
  hidden: number;
  layers: number;
  /** Between recurrent layers (not after the last), as PyTorch's nn.LSTM does. */
  dropout: number;
}

/** Initialisation and bias parametrization: PyTorch's defaults, or Keras'. */
export type InitScheme = 'pytorch' | 'keras';

export interface TrainConfig {
  model: Omit<ModelConfig, 'vocabSize'>;
  /**
   * 'pytorch': PyTorch's default initialisation, and its two summed biases (b_ih + b_hh) for
   * LSTM and RNN, trained as one bias at twice the learning rate, which is exactly equivalent.
   * 'keras': Keras' initialisation and one bias.
   */
  init: InitScheme;
  tokenizer: TokenizerKind;
  /** Char: cap (0 = all code points). Word: top-K. BPE: total vocab incl. the 256 bytes. */
  vocabSize: number;
  seqLen: number;
  batch: number;
  optimizer: OptimizerKind;
  lr: number;
  momentum: number;
  weightDecay: number;
  clip: number;
  schedule: ScheduleKind;
  warmupSteps: number;
  /** Step decay: multiply the rate by `decayRate` every `decaySteps`. */
  decaySteps: number;
  decayRate: number;
  /** Stop after whichever of these comes first; 0 = no limit. */
  steps: number;
  epochs: number;
  timeSeconds: number;
  evalEvery: number;
  /** Cap on validation tokens per evaluation (0 = whole split). */
  evalTokens: number;
  sampleLength: number;
  /** Record ‖∂L/∂h_t‖ every this many steps. */
  gradEvery: number;
  keepCheckpoints: number;
  seed: number;
  valFraction: number;
  include: string[];
  exclude: string[];
  maxFileBytes: number;
  backend: 'wasm' | 'cpu';
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  model: { cell: 'lstm', activation: 'tanh', embedding: 64, hidden: 256, layers: 2, dropout: 0 },
  init: 'pytorch',
  tokenizer: 'char',
  vocabSize: 0,
  seqLen: 64,
  batch: 32,
  optimizer: 'adam',
  lr: 2e-3,
  momentum: 0.9,
  weightDecay: 0,
  clip: 5,
  schedule: 'constant',
  warmupSteps: 0,
  decaySteps: 1000,
  decayRate: 0.5,
  steps: 0,
  epochs: 0,
  timeSeconds: 0,
  evalEvery: 200,
  evalTokens: 32768,
  sampleLength: 200,
  gradEvery: 10,
  keepCheckpoints: 5,
  seed: 1,
  valFraction: 0.1,
  include: [],
  exclude: ['**/.git/**', '**/node_modules/**', '**/dist/**', '**/out/**', '**/build/**', '**/.seqlab/**'],
  maxFileBytes: 10 * 1024 * 1024,
  backend: 'wasm',
};

export type PresetName = 'tiny' | 'small' | 'medium' | 'keras-seed';

export type TrainOverrides = Partial<Omit<TrainConfig, 'model'>> & { model?: Partial<TrainConfig['model']> };

export const PRESETS: Record<PresetName, TrainOverrides> = {
  tiny: {
    model: { cell: 'lstm', embedding: 16, hidden: 64, layers: 1 },
    seqLen: 32,
    batch: 16,
    steps: 300,
    evalEvery: 100,
  },
  small: {
    model: { cell: 'lstm', embedding: 64, hidden: 128, layers: 2 },
    seqLen: 64,
    batch: 32,
    steps: 2000,
    evalEvery: 200,
  },
  medium: {
    model: { cell: 'lstm', embedding: 64, hidden: 256, layers: 2, dropout: 0.1 },
    seqLen: 64,
    batch: 32,
    steps: 10000,
    evalEvery: 500,
  },
  'keras-seed': {
    model: { cell: 'lstm', embedding: 128, hidden: 256, layers: 2 },
    init: 'keras',
    tokenizer: 'word',
    vocabSize: 10000,
    seqLen: 32,
    batch: 32,
    steps: 5000,
    evalEvery: 250,
  },
};

export function mergeConfig(base: TrainConfig, ...overrides: (TrainOverrides | undefined)[]): TrainConfig {
  let out: TrainConfig = { ...base, model: { ...base.model } };
  for (const o of overrides) {
    if (!o) continue;
    const { model, ...rest } = o;
    const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    const definedModel = Object.fromEntries(Object.entries(model ?? {}).filter(([, v]) => v !== undefined));
    out = { ...out, ...defined, model: { ...out.model, ...definedModel } };
  }
  return out;
}

function bad(where: string, msg: string, hint: string): never {
  throw new SeqLabError('E_CONFIG', `Invalid ${where}: ${msg}`, where, hint);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Checks every field; the `where` of the error is the config key, which the CLI maps to its flag. */
export function validateConfig(c: TrainConfig): TrainConfig {
  const m = c.model;
  if (!['rnn', 'lstm', 'gru'].includes(m.cell))
    bad('cell', `${JSON.stringify(m.cell)}`, 'Use rnn, lstm or gru.');
  if (!['tanh', 'relu'].includes(m.activation))
    bad('activation', `${JSON.stringify(m.activation)}`, 'Use tanh or relu.');
  for (const [k, v, lo, hi] of [
    ['hidden', m.hidden, 1, 8192],
    ['layers', m.layers, 1, 16],
    ['embedding', m.embedding, 1, 8192],
    ['seqLen', c.seqLen, 1, 4096],
    ['batch', c.batch, 1, 4096],
    ['steps', c.steps, 0, 1e9],
    ['epochs', c.epochs, 0, 1e6],
    ['evalEvery', c.evalEvery, 1, 1e9],
    ['gradEvery', c.gradEvery, 0, 1e9],
    ['keepCheckpoints', c.keepCheckpoints, 1, 1000],
    ['vocabSize', c.vocabSize, 0, 65536],
    ['seed', c.seed, 0, 2 ** 31],
  ] as const) {
    if (!isInt(v) || v < lo || v > hi)
      bad(k, `${JSON.stringify(v)} (expected a whole number from ${lo} to ${hi})`, `Set ${k} within range.`);
  }
  for (const [k, v, lo, hi] of [
    ['dropout', m.dropout, 0, 0.95],
    ['lr', c.lr, 1e-9, 10],
    ['clip', c.clip, 0, 1e9],
    ['weightDecay', c.weightDecay, 0, 1],
    ['momentum', c.momentum, 0, 0.999999],
    ['timeSeconds', c.timeSeconds, 0, 1e9],
    ['valFraction', c.valFraction, 0, 0.9],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi)
      bad(k, `${JSON.stringify(v)} (expected a number from ${lo} to ${hi})`, `Set ${k} within range.`);
  }
  if (!['char', 'word', 'bpe'].includes(c.tokenizer))
    bad('tokenizer', JSON.stringify(c.tokenizer), 'Use char, word or bpe.');
  if (c.tokenizer === 'bpe' && c.vocabSize !== 0 && c.vocabSize < 257)
    bad('vocabSize', `${c.vocabSize} is too small for bpe`, 'BPE needs at least 257 (256 bytes + merges).');
  if (!['adam', 'sgd', 'rmsprop'].includes(c.optimizer))
    bad('optimizer', JSON.stringify(c.optimizer), 'Use adam, sgd or rmsprop.');
  if (!['pytorch', 'keras'].includes(c.init)) bad('init', JSON.stringify(c.init), 'Use pytorch or keras.');
  if (!['constant', 'cosine', 'step'].includes(c.schedule))
    bad('schedule', JSON.stringify(c.schedule), 'Use constant, cosine or step.');
  if (!['wasm', 'cpu'].includes(c.backend)) bad('backend', JSON.stringify(c.backend), 'Use wasm or cpu.');
  return c;
}
