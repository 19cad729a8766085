/**
 * The one message protocol between the dashboard webview and the extension host. Both sides
 * import this file; both validate what they receive and drop anything malformed. No DOM and no
 * `vscode` here.
 */
import type { AttentionMap } from '../engine/events';

export interface RunSummary {
  id: string;
  label: string;
  cell: string;
  hidden: number;
  layers: number;
  tokenizer: string;
  parent: string | null;
  state: string;
  clip: number;
  /** The run's config as flat seqlab.json keys (the runs table's config columns). */
  config?: Record<string, ConfigValue>;
  /** Headline numbers from metrics.jsonl: best and final of every eval field, steps, speed, size. */
  stats?: RunStats;
  /** The user's name, colour, tags and notes (annotations.json). */
  notes?: RunNotes;
  /** The sweep or compare experiment the run belongs to. */
  group?: string;
  /** A fine-tune's parent checkpoint step, for "x continues the parent's steps". */
  parentStep?: number;
  /** "pruned at step N: reason" for a run a sweep stopped early. */
  pruned?: string;
}

export type ConfigValue = string | number | boolean;

export interface RunStats {
  steps: number;
  tokens: number;
  wallSeconds: number | null;
  tokensPerSec: number | null;
  parameters: number | null;
  best: Record<string, number>;
  final: Record<string, number>;
}

export interface RunNotes {
  name?: string;
  colour?: string;
  tags?: string[];
  notes?: string;
}

/**
 * The per-step columns of a SeriesPatch, defined once: the patch type, its validation, the
 * webview's merge and the CSV export (which writes them in this order) all follow this list.
 * step: the training step; tokensSeen; elapsed: wall seconds since the start; loss in nats;
 * gradNorm: global norm before clipping; clipped: 1 where it was clipped, else 0; lr; tokensPerSec.
 */
export const STEP_COLUMNS = [
  'step',
  'tokensSeen',
  'elapsed',
  'loss',
  'gradNorm',
  'clipped',
  'lr',
  'tokensPerSec',
] as const;
export type StepColumn = (typeof STEP_COLUMNS)[number];

/** Columns of numbers, one entry per step (or per evaluation): cheap to post and to plot. */
export interface SeriesPatch {
  runId: string;
  /** Replace what the webview holds for this run instead of appending. */
  reset: boolean;
  steps: Record<StepColumn, number[]> & {
    /** Per parameter group (embedding, layer_0, …, output): one column per group. */
    layerNorms: Record<string, number[]>;
  };
  evals: { step: number[]; loss: number[]; bpc: number[] };
  /** ‖∂L/∂h_t‖ profiles: norms[layer][t]. */
  timestepGradients: { step: number; norms: number[][] }[];
  samples: { step: number; text: string }[];
  checkpoints: { step: number; path: string }[];
  /** System metrics the training loop samples (CPU % of one core, resident memory in MB). */
  system?: SystemPatch;
  /** A classifier run's evaluations in detail (absent for other kinds). */
  classify?: ClassifyPoint[];
  /** A forecaster run's figures (absent for other kinds). */
  forecast?: ForecastPatch;
  /** The step columns were thinned for the charts: the run's true number of step rows. */
  sampledFrom?: number;
  /** A sequence-to-sequence run's figures and examples (absent for other kinds). */
  seq2seq?: Seq2seqPatch;
}

/**
 * System samples as columns, one entry per sample. `gpus` (runs with a GPU): per device number,
 * its utilisation % and memory in use (MB), each as long as `step`, NaN where that device was not
 * sampled.
 */
export interface SystemPatch {
  step: number[];
  cpu: number[];
  rssMB: number[];
  gpus?: Record<string, { util: number[]; memMB: number[] }>;
}

/** One validation example as the translator rendered it, with the attention of its output. */
export interface Seq2seqExample {
  source: string;
  reference: string;
  output: string;
  attention?: AttentionMap;
}

/**
 * A sequence-to-sequence run's evaluations: BLEU and chrF at each evaluation that translated
 * (every `bleuEvery`), and the latest evaluation's examples (each shown as text, never as HTML).
 */
export interface Seq2seqPatch {
  evals: { step: number[]; bleu: number[]; chrf: number[] };
  latest: { step: number; examples: Seq2seqExample[] } | null;
}

/**
 * A forecaster's evaluations: MAE and RMSE per evaluation, the baselines' (constant over a run:
 * drawn as lines), and the latest evaluation's series, one-step forecasts, future and residuals.
 */
export interface ForecastPatch {
  evals: { step: number[]; mae: number[]; rmse: number[] };
  baselines: { name: string; mae: number; rmse: number }[];
  latest: {
    step: number;
    series: { times: string[]; actual: number[]; oneStep: number[] };
    future: { times: string[]; actual: number[]; forecast: number[] };
    residuals: number[];
  } | null;
}

/** One classifier evaluation: figures, confusion matrix, baselines and some mistakes (text, never HTML). */
export interface ClassifyPoint {
  step: number;
  accuracy: number;
  macro_f1: number;
  labels: string[];
  confusion: number[][];
  baselines: { name: string; accuracy: number; macro_f1: number }[];
  misclassified: { text: string; source: string; truth: string; predicted: string; probability: number }[];
}

function isClassifyPoint(v: unknown): v is ClassifyPoint {
  return (
    isObj(v) &&
    isNum(v.step) &&
    isNum(v.accuracy) &&
    isNum(v.macro_f1) &&
    isStrs(v.labels) &&
    Array.isArray(v.confusion) &&
    v.confusion.every(isNums) &&
    Array.isArray(v.baselines) &&
    v.baselines.every((b) => isObj(b) && isStr(b.name) && isNum(b.accuracy) && isNum(b.macro_f1)) &&
    Array.isArray(v.misclassified) &&
    v.misclassified.every(
      (m) =>
        isObj(m) &&
        isStr(m.text) &&
        isStr(m.source) &&
        isStr(m.truth) &&
        isStr(m.predicted) &&
        isNum(m.probability),
    )
  );
}

export type HostMessage =
  | { type: 'runs'; runs: RunSummary[]; selected: string[]; training: string[] }
  | { type: 'series'; patch: SeriesPatch };

export type WebviewMessage =
  /** The webview (re)started; `selected` is the selection it saved before a reload, if any. */
  | { type: 'ready'; selected: string[] }
  | { type: 'select'; runIds: string[] }
  | { type: 'stopRun'; runId: string }
  | { type: 'openCheckpoint'; path: string }
  /** Export: CSV text, or a PNG as base64. The host asks where to save; nothing is overwritten silently. */
  | { type: 'saveFile'; name: string; kind: 'csv' | 'png' | 'json'; data: string }
  /** Rename, recolour, tag or annotate a run (written to its annotations.json); '' clears a field. */
  | { type: 'annotate'; runId: string; notes: RunNotes }
  /** The step CSV of runs whose charts hold thinned columns: the host writes it from metrics.jsonl. */
  | { type: 'exportSteps'; runs: { id: string; label: string }[]; smoothing: number };

/** Largest export accepted from the webview (characters of CSV or base64). */
export const MAX_EXPORT_CHARS = 64 * 1024 * 1024;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number';
const isNums = (v: unknown): v is number[] => Array.isArray(v) && v.every(isNum);
const isStrs = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);

function isRunSummary(v: unknown): v is RunSummary {
  return (
    isObj(v) &&
    isStr(v.id) &&
    isStr(v.label) &&
    isStr(v.cell) &&
    isNum(v.hidden) &&
    isNum(v.layers) &&
    isStr(v.tokenizer) &&
    (v.parent === null || isStr(v.parent)) &&
    isStr(v.state) &&
    isNum(v.clip) &&
    isRunExtras(v)
  );
}

const isConfigValue = (v: unknown): v is ConfigValue =>
  isStr(v) || (isNum(v) && Number.isFinite(v)) || typeof v === 'boolean';
const isNumRecord = (v: unknown): v is Record<string, number> => isObj(v) && Object.values(v).every(isNum);
const isNumOrNull = (v: unknown) => v === null || isNum(v);

function isStats(v: unknown): v is RunStats {
  return (
    isObj(v) &&
    isNum(v.steps) &&
    isNum(v.tokens) &&
    isNumOrNull(v.wallSeconds) &&
    isNumOrNull(v.tokensPerSec) &&
    isNumOrNull(v.parameters) &&
    isNumRecord(v.best) &&
    isNumRecord(v.final)
  );
}

/** Notes from either side: only the known fields, each of its type; unknown fields are refused. */
export function isRunNotes(v: unknown): v is RunNotes {
  if (!isObj(v)) return false;
  return Object.entries(v).every(([k, x]) =>
    k === 'tags'
      ? isStrs(x) && x.length <= 50
      : (k === 'name' || k === 'colour' || k === 'notes') && isStr(x) && x.length <= 10_000,
  );
}

/** The optional experiment fields of a run: absent, or well-formed. */
function isRunExtras(v: Obj): boolean {
  return (
    (v.config === undefined || (isObj(v.config) && Object.values(v.config).every(isConfigValue))) &&
    (v.stats === undefined || isStats(v.stats)) &&
    (v.notes === undefined || isRunNotes(v.notes)) &&
    (v.group === undefined || isStr(v.group)) &&
    (v.parentStep === undefined || isNum(v.parentStep)) &&
    (v.pruned === undefined || isStr(v.pruned))
  );
}

function isSystem(v: unknown): boolean {
  if (v === undefined) return true;
  if (!isObj(v) || !isNums(v.step) || !isNums(v.cpu) || !isNums(v.rssMB)) return false;
  const n = v.step.length;
  if (v.cpu.length !== n || v.rssMB.length !== n) return false;
  return (
    v.gpus === undefined ||
    (isObj(v.gpus) &&
      Object.entries(v.gpus).every(
        ([k, g]) =>
          /^\d+$/.test(k) &&
          isObj(g) &&
          isNums(g.util) &&
          isNums(g.memMB) &&
          g.util.length === n &&
          g.memMB.length === n,
      ))
  );
}

function isForecastPatch(v: unknown): v is ForecastPatch {
  if (!isObj(v) || !isObj(v.evals) || !Array.isArray(v.baselines)) return false;
  const e = v.evals;
  if (!isNums(e.step) || !isNums(e.mae) || !isNums(e.rmse)) return false;
  if (!v.baselines.every((b) => isObj(b) && isStr(b.name) && isNum(b.mae) && isNum(b.rmse))) return false;
  const l = v.latest;
  if (l === null) return true;
  return (
    isObj(l) &&
    isNum(l.step) &&
    isObj(l.series) &&
    isStrs(l.series.times) &&
    isNums(l.series.actual) &&
    isNums(l.series.oneStep) &&
    isObj(l.future) &&
    isStrs(l.future.times) &&
    isNums(l.future.actual) &&
    isNums(l.future.forecast) &&
    isNums(l.residuals)
  );
}

/** An attention map whose weights are one row per output piece and one column per source piece. */
export function isAttentionMap(v: unknown): v is AttentionMap {
  return (
    isObj(v) &&
    isStrs(v.source) &&
    isStrs(v.output) &&
    Array.isArray(v.weights) &&
    v.weights.length === v.output.length &&
    v.weights.every((row) => isNums(row) && row.length === (v.source as string[]).length)
  );
}

function isSeq2seqExample(v: unknown): v is Seq2seqExample {
  return (
    isObj(v) &&
    isStr(v.source) &&
    isStr(v.reference) &&
    isStr(v.output) &&
    (v.attention === undefined || isAttentionMap(v.attention))
  );
}

export function isSeq2seqPatch(v: unknown): v is Seq2seqPatch {
  if (!isObj(v) || !isObj(v.evals)) return false;
  const e = v.evals;
  if (!isNums(e.step) || !isNums(e.bleu) || !isNums(e.chrf)) return false;
  if (e.bleu.length !== e.step.length || e.chrf.length !== e.step.length) return false;
  const l = v.latest;
  return (
    l === null ||
    (isObj(l) && isNum(l.step) && Array.isArray(l.examples) && l.examples.every(isSeq2seqExample))
  );
}

function isPatch(v: unknown): v is SeriesPatch {
  if (isObj(v) && v.forecast !== undefined && !isForecastPatch(v.forecast)) return false;
  if (isObj(v) && v.seq2seq !== undefined && !isSeq2seqPatch(v.seq2seq)) return false;
  if (!isObj(v) || !isStr(v.runId) || typeof v.reset !== 'boolean') return false;
  if (v.sampledFrom !== undefined && !isNum(v.sampledFrom)) return false;
  const s = v.steps;
  if (!isObj(s)) return false;
  const n = isNums(s.step) ? s.step.length : -1;
  if (!STEP_COLUMNS.every((c) => isNums(s[c]) && s[c].length === n)) return false;
  if (!isObj(s.layerNorms) || !Object.values(s.layerNorms).every((v) => isNums(v) && v.length === n))
    return false;
  const e = v.evals;
  if (!isObj(e) || !isNums(e.step) || !isNums(e.loss) || !isNums(e.bpc)) return false;
  if (
    !Array.isArray(v.timestepGradients) ||
    !v.timestepGradients.every(
      (g) => isObj(g) && isNum(g.step) && Array.isArray(g.norms) && g.norms.every(isNums),
    )
  )
    return false;
  if (!Array.isArray(v.samples) || !v.samples.every((x) => isObj(x) && isNum(x.step) && isStr(x.text)))
    return false;
  if (v.classify !== undefined && !(Array.isArray(v.classify) && v.classify.every(isClassifyPoint)))
    return false;
  return (
    Array.isArray(v.checkpoints) &&
    v.checkpoints.every((x) => isObj(x) && isNum(x.step) && isStr(x.path)) &&
    isSystem(v.system)
  );
}

/**
 * VS Code posts messages to a webview as JSON, which writes NaN (a gap in a column: an evaluation
 * without bits per character, a layer that joined late) as null. Reads a null in an array back as
 * NaN, in place; a null where a string or object belongs still fails the checks after it.
 */
function nullsToNaN(v: unknown): void {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++)
      if (v[i] === null) v[i] = NaN;
      else if (typeof v[i] === 'object') nullsToNaN(v[i]);
  } else if (isObj(v)) for (const x of Object.values(v)) if (typeof x === 'object') nullsToNaN(x);
}

export function parseHostMessage(v: unknown): HostMessage | undefined {
  if (!isObj(v)) return undefined;
  if (v.type === 'series') nullsToNaN(v.patch);
  if (
    v.type === 'runs' &&
    Array.isArray(v.runs) &&
    v.runs.every(isRunSummary) &&
    isStrs(v.selected) &&
    isStrs(v.training)
  )
    return v as HostMessage;
  if (v.type === 'series' && isPatch(v.patch)) return v as HostMessage;
  return undefined;
}

export function parseWebviewMessage(v: unknown): WebviewMessage | undefined {
  if (!isObj(v)) return undefined;
  switch (v.type) {
    case 'ready':
      return { type: 'ready', selected: isStrs(v.selected) ? v.selected : [] };
    case 'select':
      return isStrs(v.runIds) ? { type: 'select', runIds: v.runIds } : undefined;
    case 'stopRun':
      return isStr(v.runId) ? { type: 'stopRun', runId: v.runId } : undefined;
    case 'openCheckpoint':
      return isStr(v.path) ? { type: 'openCheckpoint', path: v.path } : undefined;
    case 'saveFile':
      return isStr(v.name) &&
        /^[\w. -]{1,100}$/.test(v.name) &&
        (v.kind === 'csv' || v.kind === 'png' || v.kind === 'json') &&
        isStr(v.data) &&
        v.data.length <= MAX_EXPORT_CHARS &&
        (v.kind !== 'png' || /^[A-Za-z0-9+/=]*$/.test(v.data))
        ? { type: 'saveFile', name: v.name, kind: v.kind, data: v.data }
        : undefined;
    case 'annotate':
      return isStr(v.runId) && isRunNotes(v.notes)
        ? { type: 'annotate', runId: v.runId, notes: v.notes }
        : undefined;
    case 'exportSteps':
      return Array.isArray(v.runs) &&
        v.runs.every((r) => isObj(r) && isStr(r.id) && isStr(r.label)) &&
        isNum(v.smoothing) &&
        v.smoothing >= 0 &&
        v.smoothing < 1
        ? {
            type: 'exportSteps',
            runs: (v.runs as Obj[]).map((r) => ({ id: r.id as string, label: r.label as string })),
            smoothing: v.smoothing,
          }
        : undefined;
    default:
      return undefined;
  }
}
