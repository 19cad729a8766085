import type { CompleteOptions } from '../engine/inference/completer';

/** Host → completion worker. Plain data: it crosses a worker_threads boundary. */
export type HostToCompletion =
  | {
      type: 'complete';
      id: number;
      checkpoint: string;
      docId: string;
      /** Text before the cursor; it starts at document offset textStart. */
      text: string;
      textStart: number;
      options: CompleteOptions;
      /** Text of other open files, read before a new document's first token ('' for none). */
      prime?: string;
      /** Mix the model with its run's n-gram (seqlab.completion.ngram; absent: on). */
      ngram?: boolean;
      /**
       * options.minConfidence is the shipped default, not the user's setting: the model alone then
       * completes with its own default (absent: options are used as given).
       */
      defaultMinConfidence?: boolean;
    }
  | { type: 'cancel'; id: number }
  | { type: 'forget'; docId: string };

export type CompletionFailure = 'gone' | 'corrupt' | 'internal';

export type CompletionToHost =
  | {
      type: 'result';
      id: number;
      items: string[];
      syncSteps: number;
      ms: number;
      /** Whether the model mixed with its run's n-gram made the items (else the model alone). */
      mixture?: boolean;
    }
  /** Something the user should know about completion, for the output channel (id 0: no request). */
  | { type: 'notice'; id: 0; level: 'info' | 'warn'; message: string }
  /** Dropped before it ran: cancelled, or superseded by a newer request for the same document. */
  | { type: 'dropped'; id: number }
  | { type: 'failed'; id: number; failure: CompletionFailure; message: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

export function isCompletionToHost(v: unknown): v is CompletionToHost {
  if (!isObj(v) || typeof v.id !== 'number') return false;
  switch (v.type) {
    case 'result':
      return (
        Array.isArray(v.items) &&
        v.items.every((s) => typeof s === 'string') &&
        typeof v.syncSteps === 'number'
      );
    case 'dropped':
      return true;
    case 'notice':
      return typeof v.message === 'string' && (v.level === 'info' || v.level === 'warn');
    case 'failed':
      return typeof v.message === 'string' && ['gone', 'corrupt', 'internal'].includes(v.failure as string);
    default:
      return false;
  }
}

export function isHostToCompletion(v: unknown): v is HostToCompletion {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'complete':
      return (
        typeof v.id === 'number' &&
        typeof v.checkpoint === 'string' &&
        typeof v.docId === 'string' &&
        typeof v.text === 'string' &&
        typeof v.textStart === 'number' &&
        isObj(v.options) &&
        (v.prime === undefined || typeof v.prime === 'string') &&
        (v.ngram === undefined || typeof v.ngram === 'boolean') &&
        (v.defaultMinConfidence === undefined || typeof v.defaultMinConfidence === 'boolean')
      );
    case 'cancel':
      return typeof v.id === 'number';
    case 'forget':
      return typeof v.docId === 'string';
    default:
      return false;
  }
}
