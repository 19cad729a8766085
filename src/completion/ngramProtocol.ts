import type { NgramTables } from '../engine/completion/ngram';
import type { CorpusOptions } from '../engine/corpus';

/** What the n-gram builder thread is given (its workerData). */
export interface NgramJob {
  folder: string;
  options: CorpusOptions;
  order: number;
  maxChars: number;
}

/** The builder's answer: the model's tables (their buffers transferred), and what went into them. */
export interface NgramBuilt {
  type: 'built';
  tables: NgramTables;
  /** Characters of training text read, from `files` of the run's `trainFiles` training files. */
  chars: number;
  files: number;
  trainFiles: number;
  capped: boolean;
  bytes: number;
  ms: number;
}

export type NgramBuilderMessage = NgramBuilt | { type: 'failed'; message: string };
