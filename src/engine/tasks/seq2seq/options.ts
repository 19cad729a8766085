import type { TokenizerKind } from '../../tokenizers';

/** How the decoder's top-layer outputs attend over the encoder's outputs. */
export type AttentionKind = 'luong' | 'bahdanau';

/**
 * How the encoder's final states reach the decoder: `state` sets each decoder layer's initial
 * state (a dense layer and tanh per layer); `input` feeds them as the decoder's first input
 * (checkpoints before the state bridge, whose spec has no `bridge`).
 */
export type BridgeKind = 'state' | 'input';

/** The sequence-to-sequence options (`seq2seq.*` in the config; every field optional there). */
export interface Seq2seqOptions {
  /** luong: dot or general (bilinear) scores; bahdanau: additive scores vᵀ tanh(W q + U k). */
  attention: AttentionKind;
  /** Luong's score: `general` (h W k) or `dot` (h · k). */
  score: 'general' | 'dot';
  /** Encoder layers read the source both ways (each direction gets half the hidden size). */
  bidirectional: boolean;
  bridge: BridgeKind;
  /** Share the output projection with the decoder's embedding (needs embedding = hidden). */
  tieEmbeddings: boolean;
  /**
   * Luong's input feeding: the previous step's attentional vector joins the decoder's input. Off by
   * default: it puts attention inside the recurrence, so the decoder runs step by step.
   */
  inputFeeding: boolean;
  labelSmoothing: number;
  /** Tokens per side (after tokenizing); 0 = no limit. */
  maxLen: number;
  /** What to do with a longer pair: cut it to maxLen, or leave it out. */
  overLength: 'truncate' | 'drop';
  /** The source side's tokenizer; default the run's `tokenizer`. */
  sourceTokenizer?: TokenizerKind;
  /** One tokenizer trained on both sides (default), or one per side. */
  sharedVocab: boolean;
  /** JSONL keys. */
  sourceKey: string;
  targetKey: string;
  /** Beam width for the BLEU/chrF evaluations and `translate` (1 = greedy). */
  beam: number;
  /** Length normalisation: a hypothesis scores log p / length^alpha (0 = raw log p). */
  lengthPenalty: number;
  /** Output stops at ratio × source length + 5 tokens. */
  maxLenRatio: number;
  /** Block repeated n-grams of this order while decoding (0 = off; summaries use 3). */
  blockNgram: number;
  /** BLEU and chrF every this many evaluations. */
  bleuEvery: number;
  /** Validation pairs translated for BLEU and chrF. */
  bleuPairs: number;
  /** `summarize` adds ROUGE-L to the evaluations. */
  purpose: 'translate' | 'summarize';
}

export const DEFAULT_SEQ2SEQ: Seq2seqOptions = {
  attention: 'luong',
  score: 'general',
  bidirectional: false,
  bridge: 'state',
  tieEmbeddings: false,
  inputFeeding: false,
  labelSmoothing: 0.1,
  maxLen: 100,
  overLength: 'truncate',
  sharedVocab: true,
  sourceKey: 'source',
  targetKey: 'target',
  beam: 4,
  lengthPenalty: 1,
  maxLenRatio: 2,
  blockNgram: 0,
  bleuEvery: 1,
  bleuPairs: 200,
  purpose: 'translate',
};

/** A run's sequence-to-sequence options with the defaults filled in. */
export function seq2seqOptions(config: { seq2seq?: Partial<Seq2seqOptions> }): Seq2seqOptions {
  const given = Object.fromEntries(Object.entries(config.seq2seq ?? {}).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_SEQ2SEQ, ...given };
}
