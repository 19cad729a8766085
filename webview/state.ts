/**
 * Everything the dashboard knows, in one object: the view settings (kept in the webview state so
 * a reload restores them), the runs the host listed, and each run's columns. Only the functions
 * here change it; each change tells the listeners (main.ts redraws on the next frame).
 */
import { RunSummary, SeriesPatch, STEP_COLUMNS } from '../src/dashboard/protocol';
import { emptyPatch, emptySeq2seq } from '../src/dashboard/series';
import { appendSystem, emptySystem } from '../src/dashboard/systemSeries';
import { palette } from './dom';
import { loadState, saveState } from './host';

export interface ViewSettings {
  smoothing: number;
  yMode: 'loss' | 'perplexity' | 'bpc';
  logGrad: boolean;
  xAxis: 'step' | 'tokens' | 'time';
  /** Run ids overlaid, in order: a run's colour is its place here. */
  selected: string[];
  /** Runs table: only the config columns whose values differ between the runs shown. */
  differsOnly: boolean;
  /** Runs table: the column sorted by (`config:lr`, `best:valLoss`, `steps`…) and its direction. */
  sortBy: string;
  sortDir: 1 | -1;
  /** Runs table: words every shown run matches (config, tags, notes, name). */
  filter: string;
  /** Group the overlaid runs by this config key ('' = no grouping): mean curves with bands. */
  groupBy: string;
  band: 'minmax' | 'std';
  logX: boolean;
  /** A fine-tune's x: its own steps from 0, or continuing its parent checkpoint's step. */
  ftAlign: 'relative' | 'parent';
  /** The parallel-coordinates plot's metric axis. */
  pcMetric: string;
}

export interface DashboardState {
  view: ViewSettings;
  runs: RunSummary[];
  /** Ids of the runs training now. */
  training: Set<string>;
  /** Each run's columns, as merged from the host's patches. */
  data: Map<string, SeriesPatch>;
}

/** A selected run with its columns and its colour, as the charts draw it. */
export interface SelectedRun {
  r: RunSummary;
  p: SeriesPatch;
  color: string;
}

const current: DashboardState = {
  view: {
    smoothing: 0.6,
    yMode: 'loss',
    logGrad: false,
    xAxis: 'step',
    selected: [],
    differsOnly: true,
    sortBy: '',
    sortDir: 1,
    filter: '',
    groupBy: '',
    band: 'minmax',
    logX: false,
    ftAlign: 'relative',
    pcMetric: 'best:valLoss',
    ...((loadState() ?? {}) as Partial<ViewSettings>),
  },
  runs: [],
  training: new Set(),
  data: new Map(),
};
/** The state, read-only: the functions below are the only writers. */
export const state: {
  readonly view: Readonly<ViewSettings>;
  readonly runs: readonly RunSummary[];
  readonly training: ReadonlySet<string>;
  readonly data: ReadonlyMap<string, SeriesPatch>;
} = current;

/** Why the state changed: 'data' for a patch from the host, undefined for the user's change. */
export type ChangeCause = 'data' | undefined;
const listeners: ((cause: ChangeCause) => void)[] = [];

export function onChange(listener: (cause: ChangeCause) => void): void {
  listeners.push(listener);
}

function changed(): void {
  saveState(current.view);
  for (const l of listeners) l(undefined);
}

export function setView<K extends keyof ViewSettings>(key: K, value: ViewSettings[K]): void {
  current.view[key] = value;
  changed();
}

/** Adds or removes a run from the overlay; a newly added run takes the next colour. */
export function selectRun(runId: string, on: boolean): void {
  const sel = current.view.selected;
  setView('selected', on ? [...sel, runId] : sel.filter((x) => x !== runId));
}

/** The host's list of runs; a non-empty selection from the host replaces the one held. */
export function setRuns(runs: RunSummary[], training: string[], selected: string[]): void {
  current.runs = runs;
  current.training = new Set(training);
  if (selected.length) current.view.selected = selected.filter((id) => runs.some((r) => r.id === id));
  changed();
}

let patches = 0;
/** Counts the patches taken: what the charts drew from changes only when this does. */
export const dataVersion = (): number => patches;

/** Takes a patch from the host: a reset (or a run seen for the first time) replaces, else appends. */
export function addPatch(p: SeriesPatch): void {
  patches++;
  const have = current.data.get(p.runId);
  if (p.reset || !have) current.data.set(p.runId, p);
  else {
    const n = have.steps.step.length;
    // Live steps appended to a run sent thinned: it has that many more rows on the host too.
    if (have.sampledFrom !== undefined) have.sampledFrom += p.steps.step.length;
    for (const k of STEP_COLUMNS) have.steps[k].push(...p.steps[k]);
    // A group first seen late is back-filled with NaN; one that stopped is padded.
    for (const [g, col] of Object.entries(p.steps.layerNorms))
      (have.steps.layerNorms[g] ??= new Array<number>(n).fill(NaN)).push(...col);
    for (const col of Object.values(have.steps.layerNorms))
      while (col.length < have.steps.step.length) col.push(NaN);
    for (const k of Object.keys(p.evals) as (keyof SeriesPatch['evals'])[]) have.evals[k].push(...p.evals[k]);
    have.timestepGradients.push(...p.timestepGradients);
    have.samples.push(...p.samples);
    have.checkpoints.push(...p.checkpoints);
    if (p.classify) (have.classify ??= []).push(...p.classify);
    if (p.system) appendSystem((have.system ??= emptySystem()), p.system);
    if (p.forecast) {
      const f = (have.forecast ??= { evals: { step: [], mae: [], rmse: [] }, baselines: [], latest: null });
      for (const k of ['step', 'mae', 'rmse'] as const) f.evals[k].push(...p.forecast.evals[k]);
      if (p.forecast.baselines.length) f.baselines = p.forecast.baselines;
      if (p.forecast.latest) f.latest = p.forecast.latest;
    }
    if (p.seq2seq) {
      const s2 = (have.seq2seq ??= emptySeq2seq());
      for (const k of ['step', 'bleu', 'chrf'] as const) s2.evals[k].push(...p.seq2seq.evals[k]);
      if (p.seq2seq.latest) s2.latest = p.seq2seq.latest;
    }
  }
  for (const l of listeners) l('data');
}

/** Replaces the selection with these runs (the table's "select all shown"). */
export function selectRuns(ids: string[]): void {
  setView('selected', ids);
}

/** The name the user gave a run, else its generated label. */
export const runName = (r: RunSummary): string => r.notes?.name ?? r.label;

/** A run's colour: the one the user picked, else its place in the selection. */
export function runColour(r: RunSummary, index: number): string {
  const colors = palette();
  return r.notes?.colour ?? colors[index % colors.length];
}

/** A run of another task than the language model (classifier, forecaster…), by its recorded config. */
export const isTaskRun = (s: SelectedRun): boolean => (s.r.config?.task ?? 'lm') !== 'lm';

/** The overlaid runs that the host still lists, with their columns and colours. */
export function selectedRuns(): SelectedRun[] {
  const byId = new Map(current.runs.map((r) => [r.id, r]));
  return current.view.selected
    .map((id) => byId.get(id))
    .filter((r): r is RunSummary => !!r)
    .map((r, i) => ({
      r: { ...r, label: runName(r) },
      p: current.data.get(r.id) ?? emptyPatch(r.id, true),
      color: runColour(r, i),
    }));
}
