import type { PrunedInfo, PruneRule, SweepMetric } from '../runFolder';

/** One evaluation of a run, in the sweep's metric. */
export interface Report {
  step: number;
  value: number;
}

export interface Pruner {
  /** Records a run's evaluation; returns why to stop it, or undefined to let it go on. */
  report(runId: string, r: Report): PrunedInfo | undefined;
  /** Records without deciding (rebuilding the state from finished runs when a sweep resumes). */
  replay(runId: string, r: Report): void;
}

export interface PruneOptions {
  /** Median rule: how many other runs must have reached a step before a run is judged there. */
  minRuns?: number;
  /** No run is judged before this step. */
  warmupSteps?: number;
  /** ASHA: keep the top 1/eta at each rung. */
  eta?: number;
  /** ASHA: the first rung's step (later rungs at minSteps·eta^k). */
  minSteps?: number;
}

const fmt = (v: number) => (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toFixed(4) : v.toExponential(3));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The median stopping rule (Golovin et al., Google Vizier): at step s, stop a run whose best value
 * so far is worse than the median of the other runs' running averages up to s, counting only
 * runs that have reached s.
 */
export class MedianRule implements Pruner {
  private readonly history = new Map<string, Report[]>();
  private readonly minRuns: number;
  private readonly warmup: number;

  constructor(
    private readonly metric: SweepMetric,
    o: PruneOptions = {},
  ) {
    this.minRuns = o.minRuns ?? 3;
    this.warmup = o.warmupSteps ?? 0;
  }

  replay(runId: string, r: Report): void {
    const h = this.history.get(runId) ?? [];
    h.push(r);
    this.history.set(runId, h);
  }

  report(runId: string, r: Report): PrunedInfo | undefined {
    this.replay(runId, r);
    if (r.step < this.warmup) return undefined;
    const others: number[] = [];
    for (const [id, h] of this.history) {
      if (id === runId || h[h.length - 1].step < r.step) continue;
      const upTo = h.filter((x) => x.step <= r.step);
      if (upTo.length) others.push(upTo.reduce((a, x) => a + x.value, 0) / upTo.length);
    }
    if (others.length < this.minRuns) return undefined;
    const own = this.history.get(runId)!.map((x) => x.value);
    const best = this.metric.goal === 'min' ? Math.min(...own) : Math.max(...own);
    const med = median(others);
    const worse = this.metric.goal === 'min' ? best > med : best < med;
    if (!worse) return undefined;
    return {
      step: r.step,
      rule: 'median',
      reason: `best ${this.metric.name} ${fmt(best)} is worse than the median ${fmt(med)} of ${others.length} other runs at step ${r.step}`,
    };
  }
}

/**
 * Asynchronous successive halving as early stopping (Li et al., ASHA; as Optuna's
 * SuccessiveHalvingPruner): rungs at minSteps·eta^k; a run reaching a rung goes on only if its value
 * there is within the top 1/eta of the values recorded at that rung so far (the first runs at a
 * rung, fewer than eta, need to be its best).
 */
export class AshaRule implements Pruner {
  private readonly rungs: number[][] = [];
  private readonly reached = new Map<string, number>();
  private readonly eta: number;
  private readonly minSteps: number;

  constructor(
    private readonly metric: SweepMetric,
    o: PruneOptions = {},
  ) {
    this.eta = Math.max(2, o.eta ?? 3);
    this.minSteps = Math.max(1, o.minSteps ?? 1);
  }

  rungStep(k: number): number {
    return Math.round(this.minSteps * this.eta ** k);
  }

  /** The rungs this report newly reaches, recorded; returns the last one's index, or -1. */
  private record(runId: string, r: Report): number {
    let k = this.reached.get(runId) ?? -1;
    let hit = -1;
    while (this.rungStep(k + 1) <= r.step) {
      k++;
      (this.rungs[k] ??= []).push(r.value);
      hit = k;
    }
    this.reached.set(runId, k);
    return hit;
  }

  replay(runId: string, r: Report): void {
    this.record(runId, r);
  }

  report(runId: string, r: Report): PrunedInfo | undefined {
    const k = this.record(runId, r);
    if (k < 0) return undefined;
    const values = [...this.rungs[k]].sort((a, b) => (this.metric.goal === 'min' ? a - b : b - a));
    const idx = Math.max(0, Math.floor(values.length / this.eta) - 1);
    const cut = values[idx];
    const ok = this.metric.goal === 'min' ? r.value <= cut : r.value >= cut;
    if (ok) return undefined;
    return {
      step: r.step,
      rule: 'asha',
      reason: `${this.metric.name} ${fmt(r.value)} at rung ${k} (step ${this.rungStep(k)}) is not in the top 1/${this.eta} of ${values.length} runs there (cut-off ${fmt(cut)})`,
    };
  }
}

export function makePruner(rule: PruneRule, metric: SweepMetric, o: PruneOptions): Pruner | undefined {
  if (rule === 'median') return new MedianRule(metric, o);
  if (rule === 'asha') return new AshaRule(metric, o);
  return undefined;
}

export { metricGoal } from '../runFolder';
