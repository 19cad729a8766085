import type * as tf from '@tensorflow/tfjs';
import type { TensorEntry } from '../checkpoint';
import type { ModelConfig } from '../config';
import type { Weights } from '../model/model';
import type { TokenizerJSON } from '../tokenizers';
import type { TaskKind } from '../tasks/kinds';

/** A held-out evaluation. */
export interface TaskEval {
  loss: number;
  /** The eval event's fields after valLoss, in order (a language model: perplexity, bpc). */
  fields: Record<string, number>;
  /** Bits per character where the task has them; the done event and the checkpoint carry it. */
  bpc: number | null;
  /**
   * What the best checkpoint is chosen by, lower is better (a classifier: minus its macro-F1).
   * Default: the loss.
   */
  score?: number;
}

/** What a task puts into a checkpoint besides the loop's counters and the optimizer. */
export interface TaskCheckpoint {
  model: ModelConfig;
  tokenizer: TokenizerJSON;
  weights: Weights;
  /** State carried between batches (a language model's recurrent state), for an exact resume. */
  carry: TensorEntry[];
  /** The kind of model; default a language model. */
  task?: TaskKind;
  /** What using the checkpoint needs besides model, tokenizer and weights (labels, normalisation…). */
  spec?: Record<string, unknown>;
}

/**
 * What the training loop needs from a task (language modelling, classification, translation):
 * parameters, batches and their loss, evaluation, samples and checkpoint contents. The loop owns
 * everything else: steps, budgets, clipping, the schedule, the optimizer, cadence and checkpoints.
 */
export interface Task {
  /** Every parameter by name (the optimizer updates them in place). */
  readonly params: Map<string, tf.Variable>;
  /** The parameters that train (a fine-tune may freeze some). */
  readonly trainable: [string, tf.Variable][];
  /** Per-parameter learning-rate multipliers. */
  readonly lrScale: Record<string, number>;
  /** Batches in one epoch. */
  readonly batchesPerEpoch: number;
  /** Items (tokens) one batch holds, for tokensSeen and throughput. */
  readonly itemsPerBatch: number;
  /** The group a parameter is reported under (per-group gradient norms). */
  group(param: string): string;
  /**
   * The loss of batch `index` at `step`; runs inside tf.variableGrads. `record` asks for the
   * per-timestep gradient norms of this step.
   */
  loss(index: number, step: number, record: boolean): tf.Scalar;
  /** The step's update is applied: keep what the loss carries forward; returns recorded norms. */
  commitStep(): number[][] | undefined | Promise<number[][] | undefined>;
  /** A new epoch begins (a language model resets its carried state). */
  startEpoch(): void;
  evaluate(): TaskEval | null | Promise<TaskEval | null>;
  /** A sample to show at `step`, or null when the task has none (or sampling is off). */
  sample(
    step: number,
  ): { prime: string; text: string } | null | Promise<{ prime: string; text: string } | null>;
  /** May be asynchronous: on a GPU the weights are read back first. */
  checkpoint(): TaskCheckpoint | Promise<TaskCheckpoint>;
  dispose(): void;
}
