// The classifier's options as TrainConfig holds them (`classify.*`); no imports, so the config types can name them.

export const POOLINGS = ['last', 'mean', 'max', 'attention'] as const;
export type Pooling = (typeof POOLINGS)[number];

/** The classifier's options (config `classify.*`); every field has a default. */
export interface ClassifyOptions {
  bidirectional: boolean;
  pooling: Pooling;
  /** Tokens kept per example (0 = all). */
  maxLen: number;
  /** Which end of a long example is kept. */
  keep: 'head' | 'tail';
  /** Weigh each class by N / (C · n_class) in the loss. */
  classWeights: boolean;
  /** What the best checkpoint is chosen by. */
  bestBy: 'macro_f1' | 'loss';
  textColumn?: string;
  labelColumn?: string;
  /** Fine-tuning from a language model: train the head first, then one more layer down every `unfreezeEvery` steps. */
  gradualUnfreeze: boolean;
  /** Steps between unfreezing layers (0 = one epoch). */
  unfreezeEvery: number;
  /** Each lower layer trains at the rate of the one above divided by 2.6. */
  discriminativeLr: boolean;
  /**
   * Standardize the pooled features before the dense head, starting from the training set's mean
   * and spread (also from scratch; always when fine-tuning from a language model).
   */
  standardize?: boolean;
  /** Before the classifier, fine-tune the language model on the target texts for this many steps (0 = no). */
  lmSteps: number;
}

/** Every option's default (text and label columns: found by name). */
export const DEFAULT_CLASSIFY: ClassifyOptions = {
  bidirectional: false,
  pooling: 'last',
  maxLen: 256,
  keep: 'head',
  classWeights: false,
  bestBy: 'macro_f1',
  gradualUnfreeze: false,
  unfreezeEvery: 0,
  discriminativeLr: false,
  lmSteps: 0,
  standardize: undefined,
  textColumn: undefined,
  labelColumn: undefined,
};
