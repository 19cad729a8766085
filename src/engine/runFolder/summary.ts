// No Node imports here: the dashboard's webview can summarise the events it already holds.
import type { MetricsLine } from './metrics';

/** A run's headline numbers, read generically from its events (any task's eval fields). */
export interface RunSummary {
  /** Last training step recorded. */
  steps: number;
  tokens: number;
  wallSeconds: number | null;
  tokensPerSec: number | null;
  parameters: number | null;
  /** The last evaluation's numeric fields (valLoss, bpc, accuracy, bleu, …). */
  final: Record<string, number>;
  /** Each of those fields at its best over the run (lowest loss, highest accuracy). */
  best: Record<string, number>;
}

/** Eval fields that are positions, not results. */
const NOT_METRICS = new Set(['step', 'time', 'tokensSeen', 'epoch']);

/** Lower is better for losses and errors; higher for accuracy, F1, BLEU, chrF and the like. */
export function metricGoal(name: string): 'min' | 'max' {
  return /loss|bpc|perplexity|error|mae|mse|rmse|mape|cer|wer/i.test(name) ? 'min' : 'max';
}

/** The numeric result fields of an eval event, whatever its task. */
export function evalMetrics(e: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(e))
    if (typeof v === 'number' && Number.isFinite(v) && !NOT_METRICS.has(k)) out[k] = v;
  return out;
}

export function summarizeEvents(events: readonly MetricsLine[]): RunSummary {
  let steps = 0;
  let tokens = 0;
  let trainSeconds = 0;
  let parameters: number | null = null;
  const final: Record<string, number> = {};
  const best: Record<string, number> = {};
  for (const e of events) {
    if (e.type === 'start') parameters = e.parameters;
    else if (e.type === 'step') {
      steps = e.step;
      tokens = e.tokensSeen;
      trainSeconds = e.elapsedSeconds;
    } else if (e.type === 'eval') addEvaluation(e, final, best);
  }
  return summaryOf(
    steps,
    tokens,
    trainSeconds,
    events[0],
    events[events.length - 1],
    parameters,
    final,
    best,
  );
}

/** Folds one evaluation into `final` (the last evaluation's fields) and `best` (each field's best). */
export function addEvaluation(e: object, final: Record<string, number>, best: Record<string, number>): void {
  const m = evalMetrics(e);
  for (const k of Object.keys(final)) delete final[k];
  Object.assign(final, m);
  for (const [k, v] of Object.entries(m))
    if (!(k in best) || (metricGoal(k) === 'min' ? v < best[k] : v > best[k])) best[k] = v;
}

/** The summary from the last step's counters and the run's first and last events. */
export function summaryOf(
  steps: number,
  tokens: number,
  trainSeconds: number,
  first: MetricsLine | undefined,
  last: MetricsLine | undefined,
  parameters: number | null,
  final: Record<string, number>,
  best: Record<string, number>,
): RunSummary {
  return {
    steps,
    tokens,
    wallSeconds: first && last ? (last.time - first.time) / 1000 : null,
    tokensPerSec: trainSeconds > 0 ? tokens / trainSeconds : null,
    parameters,
    final,
    best,
  };
}
