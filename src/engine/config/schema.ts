import { TASK_KINDS } from '../tasks/kinds';
import { POOLINGS } from '../tasks/classify/options';
import { DEFAULT_TRAIN_CONFIG, TrainConfig } from './types';

/**
 * Every training hyperparameter, described once. Validation, the CLI's flags, seqlab.json's flat
 * keys, the VS Code settings (package.json is checked against this table by a test) and the
 * generic prompts are all derived from it. Defaults live in DEFAULT_TRAIN_CONFIG, which is typed
 * against TrainConfig; `defaultOf` reads them from there.
 */
/** `string` is one of `enum`; `text` any string (a column name); `boolean` a switch (a flag without a value). */
export type FieldType = 'integer' | 'number' | 'string' | 'string[]' | 'text' | 'boolean';

export interface FieldSpec {
  /** Path in TrainConfig: `lr`, or `model.hidden` for the model's fields. */
  key: string;
  type: FieldType;
  min?: number;
  max?: number;
  /** The allowed values; a string field without one takes any text (a column name). */
  enum?: readonly string[];
  /** One line per choice, for quick picks. */
  choiceHelp?: Readonly<Record<string, string>>;
  /** Short help: the CLI's option text and the prompt's title. */
  help: string;
  /** Longer Markdown for the settings UI (defaults to `help` with a capital). */
  description?: string;
  /** The CLI flag with its argument, e.g. `--hidden <n>`. */
  flag?: string;
  /** Model shape: offered by `train` and `compare`, not by `finetune` (the checkpoint fixes it). */
  modelFlag?: boolean;
  /** The VS Code setting, e.g. `seqlab.training.hidden`. */
  setting?: string;
  /** Key in seqlab.json; by default the setting's last segment when it is a training/corpus setting. */
  json?: string | false;
  /** Asked by the Custom… prompt of the Train command. */
  prompted?: boolean;
  /** May be absent (configs saved before the field existed). */
  optional?: boolean;
}

const CELL_HELP = {
  lstm: 'Long short-term memory: the usual choice',
  gru: 'Gated recurrent unit: fewer parameters, similar quality',
  rnn: 'Vanilla tanh RNN: watch its gradients vanish',
};

const BIG = 1e9;

export const CONFIG_FIELDS: readonly FieldSpec[] = [
  {
    key: 'task',
    type: 'string',
    enum: TASK_KINDS,
    choiceHelp: {
      lm: 'Language model: predicts the next token (completion, sampling)',
      classify: 'Classifier: a label for each text (a folder per label, or a table)',
      seq2seq: 'Sequence to sequence: translation and summarisation (pairs of texts)',
      forecast: 'Forecaster: the next values of a numeric series (a CSV)',
    },
    help: 'what to train: lm, classify, seq2seq or forecast',
    flag: '--task <kind>',
    json: 'task',
    optional: true,
  },
  // Model shape (train and compare only).
  {
    key: 'model.cell',
    type: 'string',
    enum: ['rnn', 'lstm', 'gru'],
    choiceHelp: CELL_HELP,
    help: 'recurrent cell',
    description: 'Recurrent cell.',
    flag: '--cell <cell>',
    modelFlag: true,
    setting: 'seqlab.training.cell',
    prompted: true,
  },
  {
    key: 'model.activation',
    type: 'string',
    enum: ['tanh', 'relu'],
    help: 'rnn activation',
    description: 'Activation of the vanilla `rnn` cell.',
    flag: '--activation <f>',
    modelFlag: true,
    setting: 'seqlab.training.activation',
  },
  {
    key: 'model.hidden',
    type: 'integer',
    min: 1,
    max: 8192,
    help: 'hidden units per layer',
    description: 'Hidden units per recurrent layer.',
    flag: '--hidden <n>',
    modelFlag: true,
    setting: 'seqlab.training.hidden',
    prompted: true,
  },
  {
    key: 'model.layers',
    type: 'integer',
    min: 1,
    max: 16,
    help: 'recurrent layers',
    description: 'Stacked recurrent layers.',
    flag: '--layers <n>',
    modelFlag: true,
    setting: 'seqlab.training.layers',
    prompted: true,
  },
  {
    key: 'model.embedding',
    type: 'integer',
    min: 1,
    max: 8192,
    help: 'embedding size',
    description: 'Embedding size.',
    flag: '--embedding <n>',
    modelFlag: true,
    setting: 'seqlab.training.embedding',
  },
  {
    key: 'tokenizer',
    type: 'string',
    enum: ['char', 'word', 'bpe'],
    help: 'tokenizer',
    description:
      'Tokenizer: `char` (code points), `word` (top-K words, whitespace and punctuation kept) or byte-level `bpe`.',
    flag: '--tokenizer <kind>',
    modelFlag: true,
    setting: 'seqlab.training.tokenizer',
    prompted: true,
  },
  {
    key: 'vocabSize',
    type: 'integer',
    min: 0,
    max: 65536,
    help: 'vocabulary size (word top-K, bpe total, char cap)',
    description: 'Vocabulary size: word top-K (default 10000), BPE total (default 1024), char cap (0 = all).',
    flag: '--vocab-size <n>',
    modelFlag: true,
    setting: 'seqlab.training.vocabSize',
  },
  {
    key: 'init',
    type: 'string',
    enum: ['pytorch', 'keras'],
    help: "initialisation: PyTorch's defaults or Keras'",
    description:
      "Initialisation: PyTorch's defaults (embedding N(0,1), U(±1/√H) elsewhere, two summed biases) or Keras' (Glorot, orthogonal recurrent, zero biases). PyTorch's learns faster at equal budget here.",
    flag: '--init <scheme>',
    modelFlag: true,
    setting: 'seqlab.training.init',
  },
  // Training (train, compare and finetune).
  {
    key: 'model.dropout',
    type: 'number',
    min: 0,
    max: 0.95,
    help: 'dropout between layers',
    description: 'Dropout between recurrent layers.',
    flag: '--dropout <p>',
    setting: 'seqlab.training.dropout',
  },
  {
    key: 'seqLen',
    type: 'integer',
    min: 1,
    max: 4096,
    help: 'BPTT window length T',
    flag: '--seq-len <n>',
    setting: 'seqlab.training.seqLen',
  },
  {
    key: 'batch',
    type: 'integer',
    min: 1,
    max: 4096,
    help: 'parallel streams B',
    flag: '--batch <n>',
    setting: 'seqlab.training.batch',
  },
  {
    key: 'lr',
    type: 'number',
    min: 1e-9,
    max: 10,
    help: 'learning rate',
    flag: '--lr <x>',
    setting: 'seqlab.training.lr',
  },
  {
    key: 'optimizer',
    type: 'string',
    enum: ['adam', 'sgd', 'rmsprop'],
    help: '',
    description: 'Optimizer.',
    flag: '--optimizer <name>',
    setting: 'seqlab.training.optimizer',
  },
  {
    key: 'momentum',
    type: 'number',
    min: 0,
    max: 0.999999,
    help: 'SGD momentum',
    flag: '--momentum <x>',
    setting: 'seqlab.training.momentum',
  },
  {
    key: 'weightDecay',
    type: 'number',
    min: 0,
    max: 1,
    help: 'decoupled weight decay',
    description: 'Decoupled weight decay (kernels only).',
    flag: '--weight-decay <x>',
    setting: 'seqlab.training.weightDecay',
  },
  {
    key: 'clip',
    type: 'number',
    min: 0,
    max: BIG,
    help: 'clip gradients to this global norm (0 = off)',
    flag: '--clip <x>',
    setting: 'seqlab.training.clip',
  },
  {
    key: 'schedule',
    type: 'string',
    enum: ['constant', 'cosine', 'step'],
    help: 'learning-rate schedule',
    flag: '--schedule <name>',
    setting: 'seqlab.training.schedule',
  },
  {
    key: 'warmupSteps',
    type: 'integer',
    min: 0,
    max: BIG,
    help: 'warmup steps',
    description: 'Linear warm-up steps.',
    flag: '--warmup <n>',
    setting: 'seqlab.training.warmupSteps',
  },
  {
    key: 'steps',
    type: 'integer',
    min: 0,
    max: BIG,
    help: 'stop after this many steps',
    description: 'Stop after this many steps (0 = no limit; presets set one).',
    flag: '--steps <n>',
    setting: 'seqlab.training.steps',
  },
  {
    key: 'epochs',
    type: 'integer',
    min: 0,
    max: 1e6,
    help: 'stop after this many epochs',
    description: 'Stop after this many epochs (0 = no limit).',
    flag: '--epochs <n>',
    setting: 'seqlab.training.epochs',
  },
  {
    key: 'timeSeconds',
    type: 'number',
    min: 0,
    max: BIG,
    help: 'stop after this many seconds',
    description: 'Stop after this many seconds (0 = no limit).',
    flag: '--time <s>',
    setting: 'seqlab.training.timeSeconds',
  },
  {
    key: 'evalEvery',
    type: 'integer',
    min: 1,
    max: BIG,
    help: 'evaluate, sample and checkpoint every n steps',
    description: 'Evaluate, sample and save a checkpoint every this many steps.',
    flag: '--eval-every <n>',
    setting: 'seqlab.training.evalEvery',
  },
  {
    key: 'seed',
    type: 'integer',
    min: 0,
    max: 2 ** 31,
    help: 'random seed',
    flag: '--seed <n>',
    setting: 'seqlab.training.seed',
  },
  {
    key: 'include',
    type: 'string[]',
    help: 'comma-separated include globs',
    description: 'Glob patterns of files to train on (empty = common text and code extensions).',
    flag: '--include <globs>',
    setting: 'seqlab.corpus.include',
  },
  {
    key: 'exclude',
    type: 'string[]',
    help: 'comma-separated exclude globs',
    description: 'Glob patterns to leave out (`.gitignore` is honoured too).',
    flag: '--exclude <globs>',
    setting: 'seqlab.corpus.exclude',
  },
  {
    key: 'backend',
    type: 'string',
    enum: ['wasm', 'webgpu', 'auto', 'cpu'],
    choiceHelp: {
      wasm: "This machine's CPU through WebAssembly SIMD kernels: the fast default",
      webgpu: 'The GPU through WebGPU (Dawn); falls back to wasm with a log line when there is no adapter',
      auto: 'webgpu on a real GPU when a short calibration finds it faster, else wasm',
      cpu: 'Pure JavaScript, 40–50× slower: a fall-back',
    },
    help: '',
    description:
      "TF.js backend for training: `wasm` (this machine's CPU, fast), `webgpu` (the GPU through WebGPU; falls back to wasm when there is no adapter), `auto` (webgpu on a real GPU when a short calibration finds it faster, else wasm) or `cpu` (pure JavaScript, 40–50× slower; a fallback).",
    flag: '--backend <name>',
    setting: 'seqlab.backend',
    json: false,
  },
  {
    key: 'engine',
    type: 'string',
    enum: ['wasm', 'torch'],
    choiceHelp: {
      wasm: "Built-in: this machine's CPU",
      torch: 'PyTorch: GPU, several GPUs or machines (torchrun)',
    },
    help: 'training engine: built-in (wasm) or PyTorch (torch)',
    description:
      "Training engine: `wasm`, the built-in engine on this machine's CPU, or `torch`, PyTorch under torchrun (a GPU, several GPUs, several machines; needs Python with `torch`). Runs, checkpoints and the dashboard are the same for both.",
    flag: '--engine <name>',
    setting: 'seqlab.engine',
    json: false,
    optional: true,
  },
  {
    key: 'maxMemoryMB',
    type: 'integer',
    min: 0,
    max: 16 * 1024 * 1024,
    help: 'refuse models whose estimated memory is over this many MB (0 = the default limit)',
    description:
      'Refuse, before training, a model whose estimated memory is over this many MB. `0`: the default limit, the smaller of 4096 MB and half the machine’s memory. Raise it to train larger models on purpose.',
    flag: '--max-memory <mb>',
    setting: 'seqlab.training.maxMemoryMB',
    optional: true,
  },
  // Classifier options (`--task classify`): TrainConfig.classify; absent means the defaults.
  {
    key: 'classify.bidirectional',
    type: 'boolean',
    help: 'classify: run each recurrent layer forwards and backwards',
    flag: '--bidirectional',
    modelFlag: true,
    json: 'bidirectional',
    optional: true,
  },
  {
    key: 'classify.pooling',
    type: 'string',
    enum: POOLINGS,
    choiceHelp: {
      last: 'The last valid position’s state (and the first, backwards)',
      mean: 'The mean of the states over valid positions',
      max: 'The element-wise maximum over valid positions',
      attention: 'A learned attention-weighted sum over valid positions',
    },
    help: 'classify: how the states become one vector (last, mean, max, attention)',
    flag: '--pooling <p>',
    json: 'pooling',
    optional: true,
  },
  {
    key: 'classify.maxLen',
    type: 'integer',
    min: 0,
    max: 1e6,
    help: 'classify: tokens kept per example (0 = all)',
    flag: '--max-len <n>',
    json: 'maxLen',
    optional: true,
  },
  {
    key: 'classify.keep',
    type: 'string',
    enum: ['head', 'tail'],
    help: 'classify: which end of a long example --max-len keeps',
    flag: '--keep <end>',
    json: 'keep',
    optional: true,
  },
  {
    key: 'classify.classWeights',
    type: 'boolean',
    help: 'classify: weigh classes by N / (C · count) in the loss (imbalanced data)',
    flag: '--class-weights',
    json: 'classWeights',
    optional: true,
  },
  {
    key: 'classify.bestBy',
    type: 'string',
    enum: ['macro_f1', 'loss'],
    help: 'classify: what the best checkpoint is chosen by',
    flag: '--best-by <metric>',
    json: 'bestBy',
    optional: true,
  },
  {
    key: 'classify.textColumn',
    type: 'text',
    help: 'classify: the text column of a .csv/.tsv/.jsonl table',
    flag: '--text-column <name>',
    json: 'textColumn',
    optional: true,
  },
  {
    key: 'classify.labelColumn',
    type: 'text',
    help: 'classify: the label column of a table',
    flag: '--label-column <name>',
    json: 'labelColumn',
    optional: true,
  },
  {
    key: 'classify.gradualUnfreeze',
    type: 'boolean',
    help: 'classify from a language model: train the head first, then one more layer down at a time',
    flag: '--gradual-unfreeze',
    json: 'gradualUnfreeze',
    optional: true,
  },
  {
    key: 'classify.unfreezeEvery',
    type: 'integer',
    min: 0,
    max: BIG,
    help: 'classify: steps between unfreezing layers (0 = one epoch)',
    flag: '--unfreeze-every <n>',
    json: 'unfreezeEvery',
    optional: true,
  },
  {
    key: 'classify.discriminativeLr',
    type: 'boolean',
    help: 'classify: each lower layer learns at the rate of the one above / 2.6',
    flag: '--discriminative-lr',
    json: 'discriminativeLr',
    optional: true,
  },
  {
    key: 'classify.standardize',
    type: 'boolean',
    help: 'classify: standardize the pooled features before the dense head (always on from a language model)',
    flag: '--standardize',
    json: 'standardize',
    optional: true,
  },
  {
    key: 'classify.lmSteps',
    type: 'integer',
    min: 0,
    max: BIG,
    help: 'classify from a language model: first fine-tune it on the target texts for n steps',
    flag: '--lm-steps <n>',
    json: 'lmSteps',
    optional: true,
  },
  // Forecaster (--task forecast): which columns, the windows, the baselines' season.
  {
    key: 'forecast.target',
    type: 'string',
    help: 'forecaster: the column to forecast',
    flag: '--target <column>',
    optional: true,
  },
  {
    key: 'forecast.features',
    type: 'string[]',
    help: 'forecaster: other numeric columns read as inputs (comma-separated)',
    flag: '--features <columns>',
    optional: true,
  },
  {
    key: 'forecast.timeColumn',
    type: 'string',
    help: 'forecaster: the time column (default: detected by name or content)',
    flag: '--time-column <column>',
    optional: true,
  },
  {
    key: 'forecast.window',
    type: 'integer',
    min: 1,
    max: 4096,
    help: 'forecaster: past steps the model reads',
    flag: '--window <n>',
    optional: true,
  },
  {
    key: 'forecast.horizon',
    type: 'integer',
    min: 1,
    max: 1024,
    help: 'forecaster: future steps it predicts',
    flag: '--horizon <n>',
    optional: true,
  },
  {
    key: 'forecast.season',
    type: 'integer',
    min: 0,
    max: 1e6,
    help: 'forecaster: steps per season for the seasonal-naive baseline (0 = detect)',
    flag: '--season <n>',
    optional: true,
  },
  {
    key: 'forecast.strategy',
    type: 'string',
    enum: ['direct', 'recursive'],
    help: 'forecaster: direct (a dense head for all steps) or recursive (one step, fed back)',
    flag: '--strategy <s>',
    optional: true,
  },
  {
    key: 'forecast.loss',
    type: 'string',
    enum: ['mse', 'mae'],
    help: 'forecaster: training loss',
    flag: '--loss <f>',
    optional: true,
  },
  {
    key: 'forecast.missing',
    type: 'string',
    enum: ['ffill', 'skip'],
    help: 'forecaster: missing values: carry the last value forward, or skip windows that hold one',
    flag: '--missing <how>',
    optional: true,
  },
  {
    key: 'forecast.valFile',
    type: 'string',
    help: 'forecaster: a CSV to validate on (default: the last fraction of the training file)',
    flag: '--val-file <csv>',
    optional: true,
  },
  // Set by seqlab.json or the settings only (no flag).
  {
    key: 'valFraction',
    type: 'number',
    min: 0,
    max: 0.9,
    help: 'fraction of files held out for validation',
    description: 'Fraction of files held out for validation (the tail of the text when there is one file).',
    setting: 'seqlab.corpus.validationFraction',
  },
  // Engine-only: validated, but neither flags nor settings.
  { key: 'gradEvery', type: 'integer', min: 0, max: BIG, help: 'record ‖∂L/∂h_t‖ every n steps' },
  { key: 'keepCheckpoints', type: 'integer', min: 1, max: 1000, help: 'checkpoints kept per run' },
  {
    key: 'evalTokens',
    type: 'integer',
    min: 0,
    max: BIG,
    help: 'validation tokens per evaluation (0 = all)',
  },
  { key: 'sampleLength', type: 'integer', min: 0, max: 1e6, help: 'tokens per sample' },
  { key: 'decaySteps', type: 'integer', min: 1, max: BIG, help: 'step schedule: decay every n steps' },
  { key: 'decayRate', type: 'number', min: 0, max: 1, help: 'step schedule: multiply the rate by this' },
  { key: 'maxFileBytes', type: 'integer', min: 1, max: 2 ** 40, help: 'skip files larger than this' },
  // Sequence to sequence (`--task seq2seq`): TrainConfig.seq2seq, defaults in tasks/seq2seq/options.ts.
  ...seq2seqFields([
    {
      key: 'attention',
      type: 'string',
      enum: ['luong', 'bahdanau'],
      help: 'seq2seq: attention (luong: dot/general scores; bahdanau: additive)',
      flag: '--attention <kind>',
    },
    {
      key: 'score',
      type: 'string',
      enum: ['general', 'dot'],
      help: 'seq2seq: Luong attention score',
      flag: '--score <kind>',
    },
    {
      key: 'bidirectional',
      type: 'boolean',
      help: 'seq2seq: bidirectional encoder',
      flag: '--bidirectional',
    },
    {
      key: 'tieEmbeddings',
      type: 'boolean',
      help: 'seq2seq: tie the decoder embedding and output projection',
      flag: '--tie-embeddings',
    },
    {
      key: 'inputFeeding',
      type: 'boolean',
      help: 'seq2seq: input feeding (previous attentional vector into the decoder; step-by-step decoder)',
      flag: '--input-feeding',
    },
    {
      key: 'labelSmoothing',
      type: 'number',
      min: 0,
      max: 0.9,
      help: 'seq2seq: label smoothing ε',
      flag: '--label-smoothing <x>',
    },
    {
      key: 'maxLen',
      type: 'integer',
      min: 0,
      max: 1e6,
      help: 'seq2seq: tokens per side (0 = no limit)',
      flag: '--max-len <n>',
    },
    {
      key: 'overLength',
      type: 'string',
      enum: ['truncate', 'drop'],
      help: 'seq2seq: longer pairs are truncated or dropped',
      flag: '--over-length <what>',
    },
    {
      key: 'sourceTokenizer',
      type: 'string',
      enum: ['char', 'word', 'bpe'],
      help: 'seq2seq: source-side tokenizer (default: --tokenizer)',
      flag: '--source-tokenizer <kind>',
    },
    {
      key: 'sharedVocab',
      type: 'boolean',
      help: 'seq2seq: one tokenizer per side instead of a shared one',
      flag: '--no-shared-vocab',
    },
    { key: 'sourceKey', type: 'string', help: 'seq2seq: JSONL source field', flag: '--source-key <key>' },
    { key: 'targetKey', type: 'string', help: 'seq2seq: JSONL target field', flag: '--target-key <key>' },
    {
      key: 'beam',
      type: 'integer',
      min: 1,
      max: 64,
      help: 'seq2seq: beam width for translate and eval (1 = greedy)',
      flag: '--beam <n>',
    },
    {
      key: 'lengthPenalty',
      type: 'number',
      min: 0,
      max: 5,
      help: 'seq2seq: beam length normalisation exponent',
      flag: '--length-penalty <a>',
    },
    {
      key: 'maxLenRatio',
      type: 'number',
      min: 0.1,
      max: 100,
      help: 'seq2seq: output at most ratio × source length + 5',
      flag: '--max-len-ratio <r>',
    },
    {
      key: 'blockNgram',
      type: 'integer',
      min: 0,
      max: 10,
      help: 'seq2seq: block repeated n-grams of this order (0 = off)',
      flag: '--block-ngram <n>',
    },
    {
      key: 'bleuEvery',
      type: 'integer',
      min: 1,
      max: BIG,
      help: 'seq2seq: BLEU and chrF every k evaluations',
      flag: '--bleu-every <k>',
    },
    {
      key: 'bleuPairs',
      type: 'integer',
      min: 1,
      max: BIG,
      help: 'seq2seq: validation pairs translated for BLEU and chrF',
      flag: '--bleu-pairs <n>',
    },
    {
      key: 'purpose',
      type: 'string',
      enum: ['translate', 'summarize'],
      help: 'seq2seq: summarize adds ROUGE-L',
      flag: '--purpose <p>',
    },
  ]),
];

/**
 * A task's fields: keyed `<kind>.<option>`, optional (other kinds' configs lack them), no setting.
 * In seqlab.json they keep the dotted key (`"seq2seq.attention": "bahdanau"`): flat names such as
 * `bidirectional` and `maxLen` are already the classifier's.
 */
function seq2seqFields(fields: Omit<FieldSpec, 'optional' | 'modelFlag'>[]): FieldSpec[] {
  return fields.map((f) => ({
    ...f,
    key: `seq2seq.${f.key}`,
    optional: true,
    modelFlag: true,
    json: `seq2seq.${f.key}`,
  }));
}

export function fieldByKey(key: string): FieldSpec | undefined {
  return CONFIG_FIELDS.find((f) => f.key === key);
}

/** The seqlab.json key of a field, or undefined when seqlab.json cannot set it. */
export function jsonKeyOf(f: FieldSpec): string | undefined {
  if (f.json === false) return undefined;
  if (f.json) return f.json;
  if (f.setting && /^seqlab\.(training|corpus)\./.test(f.setting)) return f.setting.split('.').pop();
  return undefined;
}

/** The CLI option name of a field (`--hidden`), or undefined. */
export function flagNameOf(f: FieldSpec): string | undefined {
  return f.flag?.split(' ')[0];
}

export function getConfigPath(obj: unknown, key: string): unknown {
  let v: unknown = obj;
  for (const part of key.split('.')) v = v == null ? undefined : (v as Record<string, unknown>)[part];
  return v;
}

/** Sets `model.hidden` as `{ model: { hidden } }`, creating the nested object. */
export function setConfigPath(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let o = obj;
  for (const part of parts.slice(0, -1)) o = (o[part] ??= {}) as Record<string, unknown>;
  o[parts[parts.length - 1]] = value;
}

export function defaultOf(f: FieldSpec): unknown {
  return getConfigPath(DEFAULT_TRAIN_CONFIG satisfies TrainConfig, f.key);
}
