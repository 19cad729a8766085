import type { StepEvent, TrainEvent } from '../engine/events';
import { parseMetrics } from '../engine/runFolder/metrics';
import {
  ForecastPatch,
  Seq2seqExample,
  Seq2seqPatch,
  SeriesPatch,
  STEP_COLUMNS,
  StepColumn,
} from './protocol';
import { addSystemSample, emptySystem } from './systemSeries';

/** Where each step column comes from in a step event. */
const FROM_STEP_EVENT: Record<StepColumn, (e: StepEvent) => number> = {
  step: (e) => e.step,
  tokensSeen: (e) => e.tokensSeen,
  elapsed: (e) => e.elapsedSeconds,
  loss: (e) => e.loss,
  gradNorm: (e) => e.gradNorm,
  clipped: (e) => (e.clipped ? 1 : 0),
  lr: (e) => e.lr,
  tokensPerSec: (e) => e.tokensPerSec,
};

export function emptyPatch(runId: string, reset: boolean): SeriesPatch {
  return {
    runId,
    reset,
    steps: {
      ...(Object.fromEntries(STEP_COLUMNS.map((c) => [c, [] as number[]])) as Record<StepColumn, number[]>),
      layerNorms: {},
    },
    evals: { step: [], loss: [], bpc: [] },
    timestepGradients: [],
    samples: [],
    checkpoints: [],
  };
}

function emptyForecast(): ForecastPatch {
  return { evals: { step: [], mae: [], rmse: [] }, baselines: [], latest: null };
}

export function emptySeq2seq(): Seq2seqPatch {
  return { evals: { step: [], bleu: [], chrf: [] }, latest: null };
}

/** A seq2seqEval event's examples, each with its attention (older runs carried one example's, at the top). */
function seq2seqExamples(e: Extract<TrainEvent, { type: 'seq2seqEval' }>): Seq2seqExample[] {
  return e.examples.map((x, i) => {
    const legacy = e.attention && e.attention.example === i ? e.attention : undefined;
    const attention =
      x.attention ??
      (legacy ? { source: legacy.source, output: legacy.output, weights: legacy.weights } : undefined);
    return {
      source: x.source,
      reference: x.reference,
      output: x.output,
      ...(attention ? { attention } : {}),
    };
  });
}

/** Appends one training event to a patch (events that the dashboard does not plot are ignored). */
export function addEvent(p: SeriesPatch, e: TrainEvent): void {
  switch (e.type) {
    case 'step': {
      const s = p.steps;
      for (const c of STEP_COLUMNS) s[c].push(FROM_STEP_EVENT[c](e));
      // A group first seen late (a layer added by fine-tuning) is back-filled with NaN.
      for (const [g, v] of Object.entries(e.layerGradNorms ?? {}))
        (s.layerNorms[g] ??= new Array(s.step.length - 1).fill(NaN)).push(v);
      for (const col of Object.values(s.layerNorms)) if (col.length < s.step.length) col.push(NaN);
      break;
    }
    case 'eval': {
      p.evals.step.push(e.step);
      p.evals.loss.push(e.valLoss);
      // Other kinds' evaluations have no bits per character: NaN keeps the columns aligned.
      p.evals.bpc.push(typeof e.bpc === 'number' ? e.bpc : NaN);
      const f = e as unknown as Record<string, number>;
      if (typeof f.mae === 'number') {
        const fp = (p.forecast ??= emptyForecast());
        fp.evals.step.push(e.step);
        fp.evals.mae.push(f.mae);
        fp.evals.rmse.push(f.rmse);
      }
      // A translator's BLEU and chrF come every `bleuEvery` evaluations: only those are points.
      if (typeof f.bleu === 'number') {
        const sp = (p.seq2seq ??= emptySeq2seq());
        sp.evals.step.push(e.step);
        sp.evals.bleu.push(f.bleu);
        sp.evals.chrf.push(typeof f.chrf === 'number' ? f.chrf : NaN);
      }
      break;
    }
    case 'seq2seqEval':
      (p.seq2seq ??= emptySeq2seq()).latest = { step: e.step, examples: seq2seqExamples(e) };
      break;
    case 'forecastEval': {
      const fp = (p.forecast ??= emptyForecast());
      fp.baselines = e.baselines;
      fp.latest = { step: e.step, series: e.series, future: e.future, residuals: e.residuals };
      break;
    }
    case 'timestepGradients':
      p.timestepGradients.push({ step: e.step, norms: e.norms });
      break;
    case 'sample':
      p.samples.push({ step: e.step, text: e.prime + e.text });
      break;
    case 'checkpoint':
      p.checkpoints.push({ step: e.step, path: e.path });
      break;
    case 'classifyEval': {
      const { step, accuracy, macro_f1, labels, confusion, baselines, misclassified } = e;
      (p.classify ??= []).push({ step, accuracy, macro_f1, labels, confusion, baselines, misclassified });
      break;
    }
    case 'system':
      addSystemSample((p.system ??= emptySystem()), e);
      break;
    default:
      break;
  }
}

/** A whole run from its metrics.jsonl text; unreadable lines (a crash mid-write) are skipped. */
export function patchFromJsonl(runId: string, text: string): SeriesPatch {
  const p = emptyPatch(runId, true);
  for (const e of parseMetrics(text).events) addEvent(p, e);
  return p;
}

/**
 * Exponential moving average with TensorBoard's debiasing: s_t = w·s_{t-1} + (1−w)·x_t divided by
 * (1 − w^t), so the curve starts at the data instead of at zero. w in [0, 1).
 */
export function ema(values: number[], weight: number): number[] {
  const out = new Array<number>(values.length);
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    n++;
    last = last * weight + (1 - weight) * v;
    out[i] = weight === 0 ? v : last / (1 - Math.pow(weight, n));
  }
  return out;
}

/**
 * Reduces (x, y) to about `buckets` × 2 points by keeping each bucket's minimum and maximum in
 * x order, so spikes (exploding gradients) stay visible however long the run.
 */
export function downsampleMinMax(x: number[], y: number[], buckets: number): { x: number[]; y: number[] } {
  const n = x.length;
  if (n <= buckets * 2) return { x: x.slice(), y: y.slice() };
  const ox: number[] = [];
  const oy: number[] = [];
  const size = n / buckets;
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor(b * size);
    const hi = Math.min(n, Math.floor((b + 1) * size));
    let iMin = lo;
    let iMax = lo;
    for (let i = lo; i < hi; i++) {
      if (y[i] < y[iMin]) iMin = i;
      if (y[i] > y[iMax]) iMax = i;
    }
    for (const i of iMin <= iMax ? [iMin, iMax] : [iMax, iMin]) {
      if (ox.length && ox[ox.length - 1] === x[i]) continue;
      ox.push(x[i]);
      oy.push(y[i]);
    }
  }
  return { x: ox, y: oy };
}

/** RFC 4180 CSV: header row, then one row per x; a cell is quoted when it holds , " or a newline. */
export function toCsv(header: string[], columns: (number | string | null)[][]): string {
  const cell = (v: number | string | null) => {
    if (v === null || v === undefined) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = [header.map(cell).join(',')];
  const n = Math.max(0, ...columns.map((c) => c.length));
  for (let i = 0; i < n; i++) rows.push(columns.map((c) => cell(c[i] ?? null)).join(','));
  return rows.join('\r\n') + '\r\n';
}

/**
 * What decides whether a chart can keep its uPlot instance and only swap the data: the series'
 * labels and their looks. A run's colour is its place in the selection, so a run keeps its label
 * but changes colour when one before it is deselected; uPlot keeps the strokes it was built with.
 */
export function seriesKey(series: readonly { label?: unknown; stroke?: unknown; dash?: unknown }[]): string {
  return JSON.stringify(
    series.map((s) => [s.label, typeof s.stroke === 'string' ? s.stroke : '', s.dash ?? null]),
  );
}
