import { SeqLabError } from './errors';

/** Token ids by position: in memory, or a shard's file read from disk on demand. */
export type TokenSource =
  Int32Array | { readonly length: number; read(start: number, count: number): Int32Array };

/** Ids [start, start + count) of a source (a view, not a copy, when it is in memory). */
export function readTokens(src: TokenSource, start: number, count: number): Int32Array {
  return src instanceof Int32Array ? src.subarray(start, start + count) : src.read(start, count);
}

export interface Window {
  /** Time-major [T·B]: element t·B + b is stream b at time t. */
  inputs: Int32Array;
  targets: Int32Array;
}

/**
 * The token stream cut into B parallel streams (as char-rnn does), read T tokens at a time, so
 * that window w+1 of stream b continues exactly where window w ended and the hidden state can
 * be carried across windows.
 */
export class StreamBatcher {
  readonly streamLen: number;
  readonly windows: number;

  constructor(
    readonly tokens: TokenSource,
    readonly B: number,
    readonly T: number,
  ) {
    this.streamLen = Math.floor((tokens.length - 1) / B);
    this.windows = Math.floor(this.streamLen / T);
  }

  /** Largest batch ≤ B that gives at least `minWindows` windows of length T (0 if none). */
  static fitBatch(nTokens: number, B: number, T: number, minWindows = 1): number {
    for (let b = B; b >= 1; b--) if (Math.floor(Math.floor((nTokens - 1) / b) / T) >= minWindows) return b;
    return 0;
  }

  static forTraining(tokens: TokenSource, B: number, T: number): StreamBatcher {
    const b = StreamBatcher.fitBatch(tokens.length, B, T);
    if (b === 0)
      throw new SeqLabError(
        'E_CORPUS_TOO_SMALL',
        `The training text has ${tokens.length} tokens, fewer than one window of ${T + 1}`,
        'seqLen',
        'Lower --seq-len, or add more text.',
      );
    return new StreamBatcher(tokens, b, T);
  }

  window(w: number): Window {
    const { B, T } = this;
    const inputs = new Int32Array(T * B);
    const targets = new Int32Array(T * B);
    for (let b = 0; b < B; b++) {
      const ids = readTokens(this.tokens, b * this.streamLen + w * T, T + 1);
      for (let t = 0; t < T; t++) {
        inputs[t * B + b] = ids[t];
        targets[t * B + b] = ids[t + 1];
      }
    }
    return { inputs, targets };
  }
}
