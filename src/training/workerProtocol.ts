import type { BackendChoice } from '../engine/wasm/backendNames';
import type { FinetuneOptions } from '../engine/trainer';
import type { CompareSpec } from '../engine/compare';
import type { CellKind, TrainConfig } from '../engine/config';
import type { TrainEvent } from '../engine/events';
import type { FolderEvaluation } from '../engine/evaluateFolder';
import type { ClassifierJob } from '../engine/tasks/classify/job';
import type { Seq2seqJob } from '../engine/tasks/seq2seq/job';

/** The PyTorch engine's launch options, resolved by the extension (interpreter, processes). */
export interface TorchJobOptions {
  python: string;
  nproc: number;
  device: 'auto' | 'cpu' | 'cuda';
}

/** What a worker is asked to do. Plain data: it crosses a worker_threads boundary. */
export type Job =
  | {
      kind: 'train';
      folder: string;
      config: TrainConfig;
      out?: string;
      runId?: string;
      group?: string;
      finetune?: FinetuneOptions;
      resume?: string;
      /** With config.engine 'torch': how to run PyTorch. */
      torch?: TorchJobOptions;
    }
  | {
      kind: 'eval';
      checkpoint: string;
      folder: string;
      include?: string[];
      exclude?: string[];
      backend: BackendChoice;
    }
  | { kind: 'sample'; checkpoint: string; prime: string; length: number; temperature: number; seed: number }
  /** A classifier's predictions on texts or files, or its evaluation on labelled data (ClassifierJob). */
  | ({ kind: 'classify' } & ClassifierJob)
  /** A forecaster's forecast past the end of a CSV; the result is the CSV text (sampleResult). */
  | { kind: 'forecast'; checkpoint: string; file: string; steps?: number; backend: 'wasm' | 'cpu' }
  /** A translator's translations of lines, or its evaluation on pairs (Seq2seqJob); result: taskResult. */
  | ({ kind: 'seq2seq' } & Seq2seqJob)
  /** Sizes the cells of a compare-cells experiment (reads the corpus: off the main thread). */
  | { kind: 'planCompare'; folder: string; config: TrainConfig; cells: CellKind[]; out?: string };

export type HostToWorker = { type: 'stop' };

export type WorkerToHost =
  | { type: 'event'; event: TrainEvent }
  | { type: 'evalResult'; result: FolderEvaluation }
  | { type: 'sampleResult'; text: string }
  | { type: 'planResult'; plan: CompareSpec & { dir: string } }
  /** A task job's result (plain JSON data; its shape is the job's, e.g. ClassifierJobResult). */
  | { type: 'taskResult'; result: unknown }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'finished' };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Messages from a worker are checked before use: a crashed or confused worker must not crash the host. */
export function isWorkerToHost(v: unknown): v is WorkerToHost {
  if (!isObj(v) || typeof v.type !== 'string') return false;
  switch (v.type) {
    case 'event':
      return isObj(v.event) && typeof v.event.type === 'string';
    case 'evalResult':
      return isObj(v.result) && typeof v.result.loss === 'number';
    case 'sampleResult':
      return typeof v.text === 'string';
    case 'taskResult':
      return isObj(v.result);
    case 'planResult':
      return isObj(v.plan) && typeof v.plan.dir === 'string' && Array.isArray(v.plan.runs);
    case 'failed':
      return typeof v.message === 'string';
    case 'finished':
      return true;
    default:
      return false;
  }
}
