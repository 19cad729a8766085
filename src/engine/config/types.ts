import { SeqLabError } from '../errors';
import type { TaskKind } from '../tasks/kinds';
import type { BackendChoice } from '../wasm/backendNames';
import type { TokenizerKind } from '../tokenizers';
import { DEFAULT_CLASSIFY, type ClassifyOptions } from '../tasks/classify/options';
import type { Seq2seqOptions } from '../tasks/seq2seq/options';

export type CellKind = 'rnn' | 'lstm' | 'gru';
export type Activation = 'tanh' | 'relu';
export type OptimizerKind = 'adam' | 'sgd' | 'rmsprop';
export type ScheduleKind = 'constant' | 'cosine' | 'step';
export type EngineKind = 'wasm' | 'torch';

/** A forecaster's options (`--task forecast`): the columns it reads and the windows it learns from. */
export interface ForecastOptions {
  /** The column to forecast ('' until one is chosen). */
  target: string;
  /** Other numeric columns read as inputs beside the target. */
  features: string[];
  /** The time column; '' detects it by name or content. */
  timeColumn: string;
  /** Past steps the model reads. */
  window: number;
  /** Future steps it predicts. */
  horizon: number;
  /** Steps in one season for the seasonal-naive baseline; 0 detects it from a regular time column. */
  season: number;
  /** direct: one dense head predicts all `horizon` steps; recursive: one step, fed back. */
  strategy: 'direct' | 'recursive';
  loss: 'mse' | 'mae';
  /** Missing values: carry the last value forward, or skip the windows that hold one. */
  missing: 'ffill' | 'skip';
  /** A CSV to validate on instead of the last `valFraction` of the training file. */
  valFile: string;
}

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
  /**
   * Numeric inputs per step (a forecaster): no embedding table, layer 0 reads these values, and
   * `vocabSize` is the number of outputs. Absent for token models.
   */
  inputs?: number;
}

/** Initialisation and bias parametrization: PyTorch's defaults, or Keras'. */
export type InitScheme = 'pytorch' | 'keras';

export interface TrainConfig {
  /** The kind of model to train; absent in configs written before there was a choice (a language model). */
  task?: TaskKind;
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
  /** TF.js backend: wasm, webgpu (Dawn), cpu, or auto (webgpu on a real GPU when faster, else wasm). */
  backend: BackendChoice;
  /**
   * Which engine trains: the built-in one (`wasm`, this machine's CPU) or PyTorch (`torch`, GPUs
   * and clusters under torchrun). Optional: checkpoints written before it existed lack it.
   */
  engine?: EngineKind;
  /**
   * Refuse a model whose estimated memory exceeds this many MB (0 = the default limit).
   * Optional: checkpoints written before it existed lack it.
   */
  maxMemoryMB?: number;
  /** A classifier's options (`--task classify`); absent: the defaults. */
  classify?: Partial<ClassifyOptions>;
  /** Sequence-to-sequence options (`seq2seq.*`); absent in other kinds' configs. */
  seq2seq?: Partial<Seq2seqOptions>;
  /** Forecaster options; optional: configs written before forecasting lack them. */
  forecast?: ForecastOptions;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  task: 'lm',
  classify: { ...DEFAULT_CLASSIFY },
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
  engine: 'wasm',
  maxMemoryMB: 0,
  forecast: {
    target: '',
    features: [],
    timeColumn: '',
    window: 24,
    horizon: 1,
    season: 0,
    strategy: 'direct',
    loss: 'mse',
    missing: 'ffill',
    valFile: '',
  },
};

export type PresetName = 'tiny' | 'small' | 'medium' | 'keras-seed';

export type TrainOverrides = Partial<Omit<TrainConfig, 'model' | 'forecast'>> & {
  model?: Partial<TrainConfig['model']>;
  forecast?: Partial<ForecastOptions>;
};

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

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function definedOnly(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

export function mergeConfig(base: TrainConfig, ...overrides: (TrainOverrides | undefined)[]): TrainConfig {
  let out: TrainConfig = { ...base, model: { ...base.model } };
  for (const o of overrides) {
    if (!o) continue;
    const { model, ...rest } = o;
    // A task's options (`forecast: {…}`) merge field by field, like the model's.
    const defined = Object.fromEntries(
      Object.entries(rest)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => {
          const prev = (out as unknown as Record<string, unknown>)[k];
          const nested = isPlainObject(v) && isPlainObject(prev);
          return [k, nested ? { ...prev, ...definedOnly(v) } : v];
        }),
    );
    const definedModel = Object.fromEntries(Object.entries(model ?? {}).filter(([, v]) => v !== undefined));
    out = { ...out, ...defined, model: { ...out.model, ...definedModel } };
  }
  return out;
}

/**
 * A preset by name, own properties only: `__proto__` or `toString` would otherwise be found on
 * the object's prototype and accepted.
 */
export function lookupPreset(name: unknown, where: string): PresetName {
  if (typeof name === 'string' && Object.prototype.hasOwnProperty.call(PRESETS, name))
    return name as PresetName;
  throw new SeqLabError(
    'E_CONFIG',
    `Unknown preset ${JSON.stringify(name)} in ${where}`,
    where,
    `Use one of ${Object.keys(PRESETS).join(', ')}.`,
  );
}
