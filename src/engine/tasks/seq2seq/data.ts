import type { TrainConfig } from '../../config';
import { Rng } from '../../rng';
import { Tokenizer, TokenizerKind, trainTokenizer } from '../../tokenizers';
import type { Seq2seqBatch } from './model';
import type { Seq2seqOptions } from './options';
import type { Pair, PairSplits } from './pairs';
import { SideVocab } from './vocab';

/** A pair as ids: source ending with the end token, target without it (the batch adds it). */
export interface EncodedPair {
  src: Int32Array;
  tgt: Int32Array;
  pair: Pair;
}

export interface LengthReport {
  truncated: number;
  dropped: number;
  unknown: number;
}

export interface Seq2seqData {
  splits: PairSplits;
  source: SideVocab;
  target: SideVocab;
  train: EncodedPair[];
  val: EncodedPair[];
  lengths: LengthReport;
  batches: PairBatcher;
}

/** The two sides' tokenizers: one shared (trained on both sides) or one per side. */
export function trainSideTokenizers(
  train: Pair[],
  config: Pick<TrainConfig, 'tokenizer' | 'vocabSize'>,
  o: Pick<Seq2seqOptions, 'sharedVocab' | 'sourceTokenizer'>,
): { source: Tokenizer; target: Tokenizer } {
  const srcKind: TokenizerKind = o.sourceTokenizer ?? config.tokenizer;
  const src = train.map((p) => p.source);
  const tgt = train.map((p) => p.target);
  if (o.sharedVocab && srcKind === config.tokenizer) {
    const t = trainTokenizer(config.tokenizer, [...src, ...tgt], config.vocabSize);
    return { source: t, target: t };
  }
  return {
    source: trainTokenizer(srcKind, src, config.vocabSize),
    target: trainTokenizer(config.tokenizer, tgt, config.vocabSize),
  };
}

/**
 * Tokenizes pairs; a side longer than maxLen tokens is cut (truncate) or the pair left out (drop),
 * and counted either way.
 */
export function encodePairs(
  pairs: Pair[],
  source: SideVocab,
  target: SideVocab,
  o: Pick<Seq2seqOptions, 'maxLen' | 'overLength'>,
  lengths: LengthReport,
): EncodedPair[] {
  const out: EncodedPair[] = [];
  const cap = o.maxLen > 0 ? o.maxLen : Infinity;
  for (const pair of pairs) {
    const s = source.encode(pair.source);
    const t = target.encode(pair.target);
    lengths.unknown += s.unknown + t.unknown;
    let si = s.ids;
    let ti = t.ids;
    if (si.length === 0 || ti.length === 0) continue;
    if (si.length > cap || ti.length > cap) {
      if (o.overLength === 'drop') {
        lengths.dropped++;
        continue;
      }
      lengths.truncated++;
      si = si.subarray(0, cap);
      ti = ti.subarray(0, cap);
    }
    const src = new Int32Array(si.length + 1);
    src.set(si);
    src[si.length] = source.eos;
    out.push({ src, tgt: ti, pair });
  }
  return out;
}

/** Pads pairs into one time-major batch. */
export function makeBatch(pairs: EncodedPair[], source: SideVocab, target: SideVocab): Seq2seqBatch {
  const B = pairs.length;
  const S = Math.max(...pairs.map((p) => p.src.length));
  const T = Math.max(...pairs.map((p) => p.tgt.length)) + 1;
  const src = new Int32Array(S * B).fill(source.pad);
  const srcLen = new Int32Array(B);
  const tgtIn = new Int32Array(T * B).fill(target.pad);
  const tgtOut = new Int32Array(T * B).fill(-1);
  pairs.forEach((p, b) => {
    srcLen[b] = p.src.length;
    for (let t = 0; t < p.src.length; t++) src[t * B + b] = p.src[t];
    tgtIn[b] = target.bos;
    for (let t = 0; t < p.tgt.length; t++) {
      tgtIn[(t + 1) * B + b] = p.tgt[t];
      tgtOut[t * B + b] = p.tgt[t];
    }
    tgtOut[p.tgt.length * B + b] = target.eos;
  });
  return { B, S, T, src, srcLen, tgtIn, tgtOut };
}

/**
 * Training batches: pairs sorted by length within shuffled chunks (little padding, varied batches),
 * the batch order shuffled once from the seed, so that batch i is the same after a resume.
 */
export class PairBatcher {
  private readonly order: EncodedPair[][];

  constructor(
    pairs: EncodedPair[],
    readonly B: number,
    seed: number,
    private readonly source: SideVocab,
    private readonly target: SideVocab,
  ) {
    const rng = new Rng(seed);
    const shuffled = [...pairs];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform(0, i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    const batches: EncodedPair[][] = [];
    const chunk = B * 32;
    for (let c = 0; c < shuffled.length; c += chunk) {
      const part = shuffled
        .slice(c, c + chunk)
        .sort((a, b) => a.src.length - b.src.length || a.tgt.length - b.tgt.length);
      for (let i = 0; i < part.length; i += B) batches.push(part.slice(i, i + B));
    }
    for (let i = batches.length - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform(0, i + 1));
      [batches[i], batches[j]] = [batches[j], batches[i]];
    }
    this.order = batches;
  }

  get count(): number {
    return this.order.length;
  }

  batch(i: number): Seq2seqBatch {
    return makeBatch(this.order[i % this.order.length], this.source, this.target);
  }

  /** Target tokens (with the end token) of batch i: what the loss averages over. */
  tokens(i: number): number {
    return this.order[i % this.order.length].reduce((a, p) => a + p.tgt.length + 1, 0);
  }
}

/** Splits read, tokenizers trained (or given: resume), pairs encoded and batched. */
export function prepareSeq2seqData(
  splits: PairSplits,
  config: TrainConfig,
  o: Seq2seqOptions,
  given?: { source: Tokenizer; target: Tokenizer },
): Seq2seqData {
  const toks = given ?? trainSideTokenizers(splits.train, config, o);
  const source = new SideVocab(toks.source);
  const target = new SideVocab(toks.target);
  const lengths: LengthReport = { truncated: 0, dropped: 0, unknown: 0 };
  const train = encodePairs(splits.train, source, target, o, lengths);
  const val = encodePairs(splits.val, source, target, o, lengths);
  const batches = new PairBatcher(
    train,
    Math.min(config.batch, Math.max(1, train.length)),
    config.seed,
    source,
    target,
  );
  return { splits, source, target, train, val, lengths, batches };
}
