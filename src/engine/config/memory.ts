import * as os from 'os';
import { SeqLabError } from '../errors';
import type { TrainConfig } from './types';

/** Vocabulary assumed when the config leaves it to the corpus (0): a typical size per tokenizer. */
const NOMINAL_VOCAB = { char: 256, word: 10000, bpe: 1024 } as const;
const GATES = { rnn: 1, gru: 3, lstm: 4 } as const;
const SLOTS = { adam: 2, rmsprop: 1, sgd: 1 } as const;
const F32 = 4;
const MB = 1024 * 1024;

/** The default ceiling: wasm's 32-bit heap holds at most 4 GiB, and half the machine leaves room for the rest. */
const DEFAULT_CAP_MB = 4096;

export interface MemoryEstimate {
  parameters: number;
  /** Weights, gradients and optimizer slots. */
  weightsBytes: number;
  /** What BPTT keeps for the backward pass, and its gradients. */
  activationsBytes: number;
  /** Logits, probabilities and their gradient, B×T×V each. */
  logitsBytes: number;
  /** Per-step buffers of the kernels. */
  scratchBytes: number;
  totalBytes: number;
}

/** Bytes one training step needs, from the config alone (before the corpus is read). */
export function estimateMemory(c: TrainConfig): MemoryEstimate {
  const { cell, hidden: H, layers: L, embedding: E } = c.model;
  const V = c.vocabSize || NOMINAL_VOCAB[c.tokenizer] || 256;
  const g = GATES[cell] ?? 4;
  const B = c.batch;
  const T = c.seqLen;
  let parameters = V * E + H * V + V;
  for (let l = 0; l < L; l++) parameters += g * H * ((l === 0 ? E : H) + H) + 2 * g * H;
  const weightsBytes = parameters * (2 + (SLOTS[c.optimizer] ?? 2)) * F32;
  // Per time step and layer: the gates, h and c, kept for the backward pass, and as many gradients.
  const activationsBytes = 2 * (B * T * L * H * (g + 2) + B * T * E) * F32;
  const logitsBytes = 3 * B * T * V * F32;
  const scratchBytes = 4 * B * g * H * L * F32;
  return {
    parameters,
    weightsBytes,
    activationsBytes,
    logitsBytes,
    scratchBytes,
    totalBytes: weightsBytes + activationsBytes + logitsBytes + scratchBytes,
  };
}

/** The limit in bytes: `maxMemoryMB` when set, else the smaller of 4 GiB and half of the machine. */
export function memoryLimitBytes(c: TrainConfig): number {
  if (c.maxMemoryMB) return c.maxMemoryMB * MB;
  return Math.min(DEFAULT_CAP_MB * MB, os.totalmem() / 2);
}

/** Refuses, before anything is allocated, a model that would not fit. */
export function checkMemory(c: TrainConfig): MemoryEstimate {
  const e = estimateMemory(c);
  const limit = memoryLimitBytes(c);
  if (e.totalBytes > limit) {
    const mb = (b: number) => `${Math.ceil(b / MB).toLocaleString('en-US')} MB`;
    throw new SeqLabError(
      'E_MEMORY',
      `Model too large: training needs about ${mb(e.totalBytes)} (${(e.parameters / 1e6).toFixed(1)}M parameters: ` +
        `weights and optimizer ${mb(e.weightsBytes)}, activations ${mb(e.activationsBytes)}, logits ${mb(e.logitsBytes)}), ` +
        `over the limit of ${mb(limit)}`,
      'hidden',
      `Use a smaller --hidden, --layers, --batch or --seq-len, or raise the limit with --max-memory <MB> ` +
        `(setting seqlab.training.maxMemoryMB, seqlab.json "maxMemoryMB") if the machine has the memory.`,
    );
  }
  return e;
}
