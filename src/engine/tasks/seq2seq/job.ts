import {
  evaluateSeq2seqOnPairs,
  translateWithCheckpoint,
  type Seq2seqEvalResult,
  type Translation,
} from './use';

/**
 * What the editor asks a worker to do with a sequence-to-sequence checkpoint (TF.js stays off
 * the extension host): translate (or summarise) lines, or evaluate on a pairs file or folder.
 */
export interface Seq2seqJob {
  checkpoint: string;
  lines?: string[];
  /** Evaluate on this pairs file or folder instead of translating. */
  evaluateOn?: string;
  /** Beam width (default: the checkpoint's). */
  beam?: number;
  /** Block repeated n-grams of this order (default: the checkpoint's). */
  blockNgram?: number;
  backend: 'wasm' | 'cpu';
}

export interface Seq2seqJobResult {
  translations?: Translation[];
  evaluation?: Seq2seqEvalResult;
}

export async function runSeq2seqJob(job: Seq2seqJob): Promise<Seq2seqJobResult> {
  const o = { beam: job.beam, blockNgram: job.blockNgram, backend: job.backend };
  if (job.evaluateOn) return { evaluation: await evaluateSeq2seqOnPairs(job.checkpoint, job.evaluateOn, o) };
  return { translations: await translateWithCheckpoint(job.checkpoint, job.lines ?? [], o) };
}
