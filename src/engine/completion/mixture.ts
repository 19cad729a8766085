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

/** The n-gram's evidence for a context (CharNgramModel.contextStats). */
export interface NgramEvidence {
  order: number;
  total: number;
  distinct: number;
}

/**
 * How the model and the n-gram are weighed, context by context. `linear`: (1 − w) · P_model +
 * w · P_ngram. `geometric`: P_model^(1 − w) · P_ngram^w, renormalised (a product of experts): where
 * both models put most of their mass on one character and spread the rest differently, the
 * product is surer than either, while a linear mixture is only as sure as their average.
 */
export interface MixWeighting {
  readonly kind: 'linear' | 'geometric';
  /** A short name for reports (`linear 0.5`, `shipped`). */
  readonly name: string;
  /** The n-gram's weight w (0–1) where its evidence for the context is `e`. */
  weight(e: NgramEvidence): number;
}

/** The same weight in every context. */
export function fixedWeighting(weight: number, kind: MixWeighting['kind'] = 'linear'): MixWeighting {
  checkWeight(weight);
  return { kind, name: `${kind} ${weight}`, weight: () => weight };
}

function checkWeight(weight: number): void {
  if (!(weight >= 0 && weight <= 1))
    throw new SeqLabError(
      'E_MIX_WEIGHT',
      `The n-gram mixture weight must be from 0 to 1, got ${weight}`,
      'completion n-gram mixture',
      'Use a weight such as 0.5 (0: the model alone, 1: the n-gram alone).',
    );
}

/** Where the geometric mixture meets a character the n-gram cannot give (outside its vocabulary). */
const NGRAM_FLOOR = 1e-12;

/**
 * Mixes the model's distribution `pm` and the n-gram's `q` (both over the model's ids) into
 * `out` with the n-gram's weight `w`: the one formula that completion and the bits measure use.
 */
export function mixDistributions(
  kind: MixWeighting['kind'],
  w: number,
  pm: ArrayLike<number>,
  q: ArrayLike<number>,
  out: Float64Array,
): Float64Array {
  const V = out.length;
  if (kind === 'linear') {
    for (let i = 0; i < V; i++) out[i] = (1 - w) * pm[i] + w * q[i];
    return out;
  }
  let max = -Infinity;
  for (let i = 0; i < V; i++) {
    out[i] = (1 - w) * Math.log(pm[i]) + w * Math.log(Math.max(q[i], NGRAM_FLOOR));
    if (out[i] > max) max = out[i];
  }
  let sum = 0;
  for (let i = 0; i < V; i++) sum += out[i] = Math.exp(out[i] - max);
  for (let i = 0; i < V; i++) out[i] /= sum;
  return out;
}

/**
 * A character model mixed with a character n-gram model built from text (the training text, and
 * whatever else is given): with a fixed weight w, P(c | h) = (1 − w) · P_model(c | h) + w ·
 * P_ngram(c | h); with a MixWeighting, w depends on the n-gram's evidence for h and the mixture
 * may be geometric (see completionMixture for the one that completion ships). The n-gram
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
  private readonly modelDist: Float64Array;
  private readonly ngramDist: Float64Array;
  private readonly mixedDist: Float64Array;
  /** The n-gram's evidence for the context of the last ngramProbabilities call. */
  readonly evidence: NgramEvidence = { order: 0, total: 0, distinct: 0 };
  readonly weighting: MixWeighting;
  /** The fixed weight it was made with (undefined for a MixWeighting). */
  readonly weight: number | undefined;

  constructor(
    readonly inner: StepModel,
    private readonly tokenizer: Tokenizer,
    readonly ngram: CharNgramModel,
    weight: number | MixWeighting,
  ) {
    if (!(tokenizer instanceof CharTokenizer))
      throw new SeqLabError(
        'E_MIX_TOKENIZER',
        `Only a character model can be mixed with the n-gram (this one has a ${tokenizer.kind} tokenizer)`,
        'completion n-gram mixture',
        'Turn the mixture off (weight 0) for word and BPE models.',
      );
    this.weighting = typeof weight === 'number' ? fixedWeighting(weight) : weight;
    this.weight = typeof weight === 'number' ? weight : undefined;
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
    this.modelDist = new Float64Array(V);
    this.ngramDist = new Float64Array(V);
    this.mixedDist = new Float64Array(V);
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

  /**
   * The mixed next-character distribution over the model's ids (sums to 1), in a buffer of this
   * model's that the next call overwrites (it is asked for once per generated character): copy it
   * to keep it.
   */
  probabilities(s: InferState): Float64Array {
    const q = this.ngramProbabilities((s as MixState).text ?? '');
    const w = this.weighting.weight(this.evidence);
    checkWeight(w);
    return mixDistributions(this.weighting.kind, w, this.modelProbabilities(s), q, this.mixedDist);
  }

  /** The model's own next-character distribution (a buffer reused by the next call). */
  modelProbabilities(s: InferState): Float64Array {
    const V = this.config.vocabSize;
    const z = this.inner.logits(s, this.modelLogits);
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (z[i] > max) max = z[i];
    let sum = 0;
    for (let i = 0; i < V; i++) sum += this.modelDist[i] = Math.exp(z[i] - max);
    for (let i = 0; i < V; i++) this.modelDist[i] /= sum;
    return this.modelDist;
  }

  /**
   * The n-gram's next-character distribution after `text` over the model's ids, the unknown id
   * pooling the characters the model lacks (a buffer reused by the next call); its evidence for
   * that context is left in `evidence`.
   */
  ngramProbabilities(text: string): Float64Array {
    const q = this.ngram.distribution(text, this.dist, this.evidence);
    const out = this.ngramDist;
    for (let i = 0; i < out.length; i++) {
      const j = this.toNgram[i];
      out[i] = j >= 0 ? q[j] : 0;
    }
    let unknown = 0;
    for (const j of this.unknownNgram) unknown += q[j];
    out[this.tokenizer.unkId] += unknown;
    return out;
  }

  /** The n-gram's probability of token `id` after the state's text (the unknown id pools the characters the model lacks). */
  ngramProbability(s: InferState, id: number): number {
    return this.ngramProbabilities((s as MixState).text ?? '')[id];
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
 * Bits per character of the mixture for each of `weights` over `texts`, each read from its start:
 * a number is a fixed linear weight (0: the model alone, 1: the n-gram alone), a MixWeighting is
 * measured as completion would use it (e.g. completionWeighting()). One pass computes both
 * distributions and every weighting mixes them, so that one can be chosen on held-out text.
 * Characters are scored as the model's tokens (one outside its vocabulary as its unknown token,
 * with the n-gram's mass of all such characters); a probability of 0 counts as 2^-40.
 */
export function mixtureBits(
  inner: StepModel,
  tokenizer: Tokenizer,
  ngram: CharNgramModel,
  texts: string[],
  weights: (number | MixWeighting)[],
): { weight: number | string; bitsPerChar: number }[] {
  const probe = new NgramMixModel(inner, tokenizer, ngram, 1);
  const bits = weights.map(() => 0);
  const mixed = new Float64Array(inner.config.vocabSize);
  let chars = 0;
  for (const text of texts) {
    const ids = tokenizer.encode(text);
    const s = probe.newState();
    for (let t = 0; t < ids.length; t++) {
      const id = ids[t];
      const pm = probe.modelProbabilities(s);
      const q = probe.ngramProbabilities(s.text);
      const evidence = probe.evidence;
      weights.forEach((w, k) => {
        const p =
          typeof w === 'number'
            ? (1 - w) * pm[id] + w * q[id]
            : mixDistributions(w.kind, w.weight(evidence), pm, q, mixed)[id];
        bits[k] -= Math.log2(Math.max(p, 2 ** -40));
      });
      probe.step(s, id);
      chars++;
    }
  }
  return weights.map((w, k) => ({
    weight: typeof w === 'number' ? w : w.name,
    bitsPerChar: chars ? bits[k] / chars : 0,
  }));
}

/**
 * The n-gram's weight in the shipped mixture by its evidence for the context: per matched order
 * (1–8, the n-gram's context length plus one), for contexts seen fewer than 16 times and at least
 * 16 times. Fitted on the validation part of the held-out READMEs (the reference 2×256 LSTM
 * against the 8-gram from its training text): per cell, the weight in steps of 0.05 with the
 * fewest bits per character; cells with under 30 characters keep 0.5. The n-gram gets most say
 * (0.65–0.75) where it has backed off to 2–4 characters of context, where the recurrent model
 * is no surer; least (0.3) in long contexts it has seen often, where both models usually agree
 * and the product is sure anyway, and where the n-gram's few seen continuations cost bits
 * whenever the text departs from the boilerplate.
 */
const SHIPPED_WEIGHTS: readonly (readonly [rare: number, frequent: number])[] = [
  [0.5, 0.5], // order 0: no text at all
  [0.5, 0.25],
  [0.5, 0.4],
  [0.65, 0.75],
  [0.65, 0.7],
  [0.65, 0.65],
  [0.55, 0.45],
  [0.5, 0.4],
  [0.5, 0.3],
];
/** Times a context must have been seen to count as frequent. */
const FREQUENT = 16;

/**
 * The weighting of the mixture that the extension's completion ships: geometric (a product of
 * the two models, renormalised), the n-gram's exponent from SHIPPED_WEIGHTS by the order it
 * matched and how often it saw that context. Chosen on the validation part by bits per character:
 * 1.940, against 1.952 for the best fixed linear weight (0.5) and 1.957 for the best fixed
 * geometric one (0.55); fitted on three quarters of the validation files and scored on the
 * fourth, in turn, the table still gives 1.945 against 1.960 for one weight fitted the same way.
 * In keystrokes it matters little beside the geometric form, which keeps agreement sure: a
 * character both models favour gets at least P_model^(1−w) · P_ngram^w, where the linear mixture
 * gives their average. On the validation part it saves more keystrokes than the 8-gram and than
 * the model alone at every threshold from 0.5 to 0.99 (at 0.97: 15.7% against 14.3% and 14.1%),
 * where the linear mixture at 0.5 saved less than either from 0.6 up.
 */
export function completionWeighting(): MixWeighting {
  return {
    kind: 'geometric',
    name: 'shipped',
    weight: (e) => {
      const row = SHIPPED_WEIGHTS[Math.min(e.order, SHIPPED_WEIGHTS.length - 1)];
      return e.total >= FREQUENT ? row[1] : row[0];
    },
  };
}

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
  return new NgramMixModel(inner, tokenizer, ngram, completionWeighting());
}
