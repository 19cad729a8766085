import { SeqLabError } from '../errors';
import type { InferState, StepModel } from '../inference/stepModel';
import type { Tokenizer } from '../tokenizers';
import { CharTokenizer } from '../tokenizers';
import { CharNgramModel } from './ngram';

/** A state of the mixture: the recurrent model's, plus the text it has read (its last characters). */
export interface MixState extends InferState {
  text: string;
}

/** Stands for a character the model's vocabulary lacks: no n-gram context contains it. */
const UNKNOWN_CHAR = '\uFFFF';

/**
 * A character model mixed with a character n-gram model built from text (the training text, and
 * whatever else is given): P(c | h) = (1 − w) · P_model(c | h) + w · P_ngram(c | h). The n-gram
 * recalls long verbatim stretches (licence lines, install commands, badges) that a small
 * recurrent model trained for minutes has not memorised, while the recurrent model generalises
 * where the n-gram has never seen the context; linear interpolation keeps every distribution
 * summing to 1. It is a StepModel, so completion, gating and evaluation use it unchanged.
 *
 * The model's unknown token gets the n-gram's probability of every character outside the model's
 * vocabulary. Only character tokenizers can be mixed (a token is one character).
 */
export class NgramMixModel implements StepModel {
  readonly config: StepModel['config'];
  /** For each model id (but the unknown one), the n-gram's index of its character (−1: none). */
  private readonly toNgram: Int32Array;
  /** N-gram indices of the characters the model cannot spell (they pool into its unknown id). */
  private readonly unknownNgram: number[] = [];
  private readonly keep: number;
  private readonly modelLogits: Float32Array;
  private readonly dist: Float64Array<ArrayBuffer>;

  constructor(
    readonly inner: StepModel,
    private readonly tokenizer: Tokenizer,
    readonly ngram: CharNgramModel,
    readonly weight: number,
  ) {
    if (!(tokenizer instanceof CharTokenizer))
      throw new SeqLabError(
        'E_MIX_TOKENIZER',
        `Only a character model can be mixed with the n-gram (this one has a ${tokenizer.kind} tokenizer)`,
        'completion n-gram mixture',
        'Turn the mixture off (weight 0) for word and BPE models.',
      );
    if (!(weight >= 0 && weight <= 1))
      throw new SeqLabError(
        'E_MIX_WEIGHT',
        `The n-gram mixture weight must be from 0 to 1, got ${weight}`,
        'completion n-gram mixture',
        'Use a weight such as 0.5 (0: the model alone, 1: the n-gram alone).',
      );
    this.config = inner.config;
    const V = inner.config.vocabSize;
    const index = new Map(ngram.vocab.map((c, i) => [c, i] as const));
    this.toNgram = new Int32Array(V).fill(-1);
    const spelled = new Set<string>();
    for (let id = 0; id < V; id++) {
      if (id === tokenizer.unkId) continue;
      const c = tokenizer.vocab[id];
      spelled.add(c);
      this.toNgram[id] = index.get(c) ?? -1;
    }
    ngram.vocab.forEach((c, i) => {
      if (!spelled.has(c)) this.unknownNgram.push(i);
    });
    this.keep = 2 * ngram.order;
    this.modelLogits = new Float32Array(V);
    this.dist = new Float64Array(ngram.vocab.length);
  }

  newState(): MixState {
    return { ...this.inner.newState(), text: '' };
  }

  cloneState(s: InferState): MixState {
    return { ...this.inner.cloneState(s), text: (s as MixState).text ?? '' };
  }

  step(s: InferState, token: number): void {
    this.inner.step(s, token);
    const m = s as MixState;
    m.text = (m.text + this.charOf(token)).slice(-this.keep);
  }

  advance(
    s: InferState,
    tokens: ArrayLike<number>,
    keep?: (i: number) => boolean,
    onState?: (i: number, state: InferState) => void,
  ): void {
    const m = s as MixState;
    let text = m.text ?? '';
    const texts: string[] = [];
    for (let i = 0; i < tokens.length; i++) {
      text = (text + this.charOf(tokens[i])).slice(-this.keep);
      texts.push(text);
    }
    const wrap =
      onState && ((i: number, st: InferState) => onState(i, { ...st, text: texts[i] } as MixState));
    if (this.inner.advance) this.inner.advance(s, tokens, keep, wrap);
    else
      for (let i = 0; i < tokens.length; i++) {
        this.inner.step(s, tokens[i]);
        if (wrap && keep?.(i)) wrap(i, this.inner.cloneState(s));
      }
    m.text = text;
  }

  /** Log-probabilities of the mixture (logits whose softmax is the mixed distribution). */
  logits(s: InferState, out = new Float32Array(this.config.vocabSize)): Float32Array {
    const p = this.probabilities(s);
    for (let i = 0; i < p.length; i++) out[i] = Math.log(p[i]);
    return out;
  }

  /** The mixed next-character distribution over the model's ids (sums to 1). */
  probabilities(s: InferState): Float64Array {
    const V = this.config.vocabSize;
    const z = this.inner.logits(s, this.modelLogits);
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (z[i] > max) max = z[i];
    let sum = 0;
    for (let i = 0; i < V; i++) sum += Math.exp(z[i] - max);
    const q = this.ngram.distribution((s as MixState).text ?? '', this.dist);
    const w = this.weight;
    const p = new Float64Array(V);
    for (let i = 0; i < V; i++) {
      const j = this.toNgram[i];
      p[i] = ((1 - w) * Math.exp(z[i] - max)) / sum + (j >= 0 ? w * q[j] : 0);
    }
    let unknown = 0;
    for (const j of this.unknownNgram) unknown += q[j];
    p[this.tokenizer.unkId] += w * unknown;
    return p;
  }

  /** The n-gram's probability of token `id` after the state's text (the unknown id pools the characters the model lacks). */
  ngramProbability(s: InferState, id: number): number {
    const q = this.ngram.distribution((s as MixState).text ?? '', this.dist);
    if (id === this.tokenizer.unkId) {
      let unknown = 0;
      for (const j of this.unknownNgram) unknown += q[j];
      return unknown;
    }
    const j = this.toNgram[id];
    return j >= 0 ? q[j] : 0;
  }

  dispose(): void {
    this.inner.dispose?.();
  }

  private charOf(token: number): string {
    return token === this.tokenizer.unkId
      ? UNKNOWN_CHAR
      : ((this.tokenizer as CharTokenizer).vocab[token] ?? UNKNOWN_CHAR);
  }
}

/**
 * Bits per character of the mixture at each of `weights` (0: the model alone, 1: the n-gram
 * alone) over `texts`, each read from its start: one pass computes both distributions and every
 * weight mixes them, so that a weight can be chosen on held-out text. Characters are scored as
 * the model's tokens (one outside its vocabulary as its unknown token, with the n-gram's mass of
 * all such characters); a probability of 0 counts as 2^-40.
 */
export function mixtureBits(
  inner: StepModel,
  tokenizer: Tokenizer,
  ngram: CharNgramModel,
  texts: string[],
  weights: number[],
): { weight: number; bitsPerChar: number }[] {
  const probe = new NgramMixModel(inner, tokenizer, ngram, 1);
  const bits = weights.map(() => 0);
  const V = inner.config.vocabSize;
  const z = new Float32Array(V);
  let chars = 0;
  for (const text of texts) {
    const ids = tokenizer.encode(text);
    const s = probe.newState();
    for (let t = 0; t < ids.length; t++) {
      const id = ids[t];
      inner.logits(s, z);
      let max = -Infinity;
      for (let i = 0; i < V; i++) if (z[i] > max) max = z[i];
      let sum = 0;
      for (let i = 0; i < V; i++) sum += Math.exp(z[i] - max);
      const p = Math.exp(z[id] - max) / sum;
      // The n-gram part of the mixture at weight 1 is the n-gram's probability of this token.
      const q = probe.ngramProbability(s, id);
      weights.forEach((w, k) => (bits[k] -= Math.log2(Math.max((1 - w) * p + w * q, 2 ** -40))));
      probe.step(s, id);
      chars++;
    }
  }
  return weights.map((weight, k) => ({ weight, bitsPerChar: chars ? bits[k] / chars : 0 }));
}

/** The n-gram's weight in the mixture that the extension's completion ships with. */
export const SHIPPED_NGRAM_WEIGHT = 0.5;

/**
 * The mixture that inline completion uses when the checkpoint's training text is at hand: the one
 * place that decides how the model and the n-gram are weighed, so that the extension, the CLI and
 * the bench measure the same thing.
 */
export function completionMixture(
  inner: StepModel,
  tokenizer: Tokenizer,
  ngram: CharNgramModel,
): NgramMixModel {
  return new NgramMixModel(inner, tokenizer, ngram, SHIPPED_NGRAM_WEIGHT);
}
