import type { Tokenizer } from '../../tokenizers';
import type { Example } from './data';

/**
 * Examples of one batch, time-major and right-padded: row t·B + b of `ids` is example b's token t
 * (0 past its length). Right padding keeps every valid position's state independent of the padding.
 */
export interface ClassBatch {
  ids: Int32Array;
  lengths: number[];
  T: number;
  B: number;
  labels: Int32Array;
}

/** An example's token ids, cut to `maxLen` keeping its head or tail; at least one token. */
export function encodeExample(
  tok: Tokenizer,
  text: string,
  maxLen: number,
  keep: 'head' | 'tail',
): Int32Array {
  let ids = tok.encode(text);
  if (maxLen > 0 && ids.length > maxLen)
    ids = keep === 'head' ? ids.slice(0, maxLen) : ids.slice(ids.length - maxLen);
  if (ids.length === 0) ids = new Int32Array([Math.max(0, tok.unkId)]);
  return ids;
}

export function makeBatch(seqs: Int32Array[], labels: number[]): ClassBatch {
  const B = seqs.length;
  const T = Math.max(...seqs.map((s) => s.length));
  const ids = new Int32Array(T * B);
  seqs.forEach((s, b) => s.forEach((id, t) => (ids[t * B + b] = id)));
  return { ids, lengths: seqs.map((s) => s.length), T, B, labels: Int32Array.from(labels) };
}

export interface EncodedSet {
  seqs: Int32Array[];
  labels: number[];
  examples: Example[];
}

export function encodeSet(
  xs: Example[],
  tok: Tokenizer,
  labels: string[],
  maxLen: number,
  keep: 'head' | 'tail',
): EncodedSet {
  const index = new Map(labels.map((l, i) => [l, i]));
  return {
    seqs: xs.map((x) => encodeExample(tok, x.text, maxLen, keep)),
    labels: xs.map((x) => index.get(x.label) ?? -1),
    examples: xs,
  };
}

/**
 * Length buckets: each epoch shuffles the examples, cuts them into chunks of 50 batches, sorts each
 * chunk by length and batches it, then shuffles the batches. Examples of similar length share a
 * batch (little padding) while the order stays random from epoch to epoch.
 */
export function bucketedBatches(lengths: number[], B: number, rand: () => number): number[][] {
  const order = lengths.map((_, i) => i);
  shuffle(order, rand);
  const chunk = B * 50;
  const batches: number[][] = [];
  for (let s = 0; s < order.length; s += chunk) {
    const part = order.slice(s, s + chunk).sort((a, b) => lengths[a] - lengths[b]);
    for (let i = 0; i < part.length; i += B) batches.push(part.slice(i, i + B));
  }
  shuffle(batches, rand);
  return batches;
}

function shuffle<T>(xs: T[], rand: () => number): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
}

/** Fraction of a batch's positions that are padding. */
export function paddingFraction(b: ClassBatch): number {
  return 1 - b.lengths.reduce((a, n) => a + n, 0) / (b.T * b.B);
}
