import type { TrainConfig } from './config';
import type { SkippedFile } from './corpus';

/** Everything the trainer reports. Each event is also one line of the run's metrics.jsonl. */
export type TrainEvent =
  | StartEvent
  | StepEvent
  | TimestepGradientsEvent
  | EvalEvent
  | SampleEvent
  | CheckpointEvent
  | DoneEvent
  | ErrorEvent
  | LogEvent
  | ClassifyEvalEvent
  | SystemEvent
  | Seq2seqEvalEvent
  | ForecastEvalEvent;

interface Base {
  /** Wall-clock milliseconds since the epoch. */
  time: number;
}

export interface CorpusReport {
  folder: string;
  files: number;
  trainFiles: number;
  valFiles: number;
  trainChars: number;
  valChars: number;
  trainTokens: number;
  valTokens: number;
  skipped: SkippedFile[];
  /** Pieces mapped to `<unk>` (fine-tuning with an existing tokenizer on new text). */
  unknownTokens: number;
}

export interface StartEvent extends Base {
  type: 'start';
  runId: string;
  runDir: string;
  config: TrainConfig;
  vocabSize: number;
  parameters: number;
  backend: string;
  corpus: CorpusReport;
  resumedFromStep: number;
  batch: number;
}

export interface StepEvent extends Base {
  type: 'step';
  step: number;
  epoch: number;
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Per parameter group (embedding, layer_0…, output), before clipping. */
  layerGradNorms: Record<string, number>;
  clipped: boolean;
  lr: number;
  tokensPerSec: number;
  tokensSeen: number;
  elapsedSeconds: number;
}

export interface TimestepGradientsEvent extends Base {
  type: 'timestepGradients';
  step: number;
  /**
   * norms[layer][t] = ‖∂L_T/∂h_t‖ for t = 1..T (index 0 is t = 1): the gradient entering the layer
   * at the window's last step, carried back through its recurrence. Its decay towards t = 1 is the
   * vanishing gradient; growth is the exploding one.
   */
  norms: number[][];
}

/**
 * A held-out evaluation: the loss, then the task's own figures (a language model: perplexity and
 * bpc; a classifier: accuracy, macro_f1; a translator: perplexity, bleu, chrf; a forecaster: mae,
 * rmse and its baselines'…).
 */
export interface EvalEvent extends Base {
  type: 'eval';
  step: number;
  valLoss: number;
  perplexity?: number;
  bpc?: number;
  tokensSeen: number;
  [figure: string]: number | string | undefined;
}

const FIGURE_DIGITS: Record<string, number> = { perplexity: 2, bpc: 3 };

/** An evaluation's figures after the loss, for a log line: `perplexity 12.34  bpc 2.123`. */
export function evalFigures(e: EvalEvent): string {
  return Object.entries(e)
    .filter(
      (kv): kv is [string, number] =>
        typeof kv[1] === 'number' && !['time', 'step', 'valLoss', 'tokensSeen'].includes(kv[0]),
    )
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(FIGURE_DIGITS[k] ?? 4)}`)
    .join('  ');
}

export interface SampleEvent extends Base {
  type: 'sample';
  step: number;
  prime: string;
  text: string;
}

export interface CheckpointEvent extends Base {
  type: 'checkpoint';
  step: number;
  name: string;
  path: string;
  valLoss: number | null;
  best: boolean;
  reason: 'eval' | 'best' | 'final' | 'stopped';
}

export type StopReason = 'steps' | 'epochs' | 'time' | 'stopped';

export interface DoneEvent extends Base {
  type: 'done';
  step: number;
  reason: StopReason;
  valLoss: number | null;
  bpc: number | null;
  checkpoint: string | null;
  elapsedSeconds: number;
}

export interface ErrorEvent extends Base {
  type: 'error';
  message: string;
  code?: string;
}

export interface LogEvent extends Base {
  type: 'log';
  message: string;
}

export type TrainEventListener = (e: TrainEvent) => void;

/** A classifier's evaluation in detail (after its `eval` event, at the same step). */
export interface ClassifyEvalEvent extends Base {
  type: 'classifyEval';
  step: number;
  labels: string[];
  accuracy: number;
  macro_f1: number;
  precision: number[];
  recall: number[];
  /** confusion[true][predicted]. */
  confusion: number[][];
  /** The same split's baselines (majority class, bag-of-n-grams), for comparison. */
  baselines: { name: string; accuracy: number; macro_f1: number }[];
  /** Some misclassified validation examples (text cut to 300 characters). */
  misclassified: { text: string; source: string; truth: string; predicted: string; probability: number }[];
}

/** The training process's CPU and memory, every few seconds (GPU utilisation where a run has one). */
export interface SystemEvent extends Base {
  type: 'system';
  step: number;
  /** Process CPU time over wall time, in % of one core. */
  cpuPercent: number;
  rssMB: number;
  /**
   * Mean utilisation of the run's GPUs in %, and each GPU's figures: PyTorch runs on CUDA (from NVML,
   * else nvidia-smi). The TF.js engines record neither (WebGPU has no utilisation API).
   */
  gpuPercent?: number;
  gpus?: GpuSample[];
}

/** One GPU at one system sample: `index` is the device number the run uses (torch's numbering). */
export interface GpuSample {
  index: number;
  utilPercent: number;
  /** Memory in use on the device (by every process), MB of 10^6 bytes like rssMB. */
  memoryUsedMB: number;
  memoryTotalMB: number;
}

/** Attention of one translation: weights[i][j] is how much output piece i attended to source piece j. */
export interface AttentionMap {
  source: string[];
  output: string[];
  weights: number[][];
}

/** A sequence-to-sequence evaluation's examples (source, reference, output), each with its attention. */
export interface Seq2seqEvalEvent extends Base {
  type: 'seq2seqEval';
  step: number;
  examples: { source: string; reference: string; output: string; attention?: AttentionMap }[];
  /** Runs written before each example carried its own: the attention of example `example`. */
  attention?: AttentionMap & { example: number };
}

/**
 * A forecaster's evaluation in detail, for its dashboard: the baselines' figures (drawn as lines
 * beside the model's curves), the validation series with the model's one-step forecasts over it,
 * and an H-step forecast past the end of the data.
 */
export interface ForecastEvalEvent extends Base {
  type: 'forecastEval';
  step: number;
  mae: number;
  rmse: number;
  /** Each baseline's MAE and RMSE on the same windows (seasonal naive only when it applies). */
  baselines: { name: 'naive' | 'seasonal' | 'ar'; mae: number; rmse: number }[];
  /** The validation rows: their time labels, actual values and the model's one-step forecasts. */
  series: { times: string[]; actual: number[]; oneStep: number[] };
  /** The last rows of the data and the model's forecast of the `horizon` steps after them. */
  future: { times: string[]; actual: number[]; forecast: number[] };
  /** Actual − one-step forecast on the validation rows. */
  residuals: number[];
}
