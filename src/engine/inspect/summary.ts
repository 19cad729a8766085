import { parseUnit, rankUnits, unitSeries, type FeatureRanking } from './correlate';
import type { TextInspection } from './inspectText';

/** Points per sparkline: about what a row of the Units view shows. */
export const SPARK_POINTS = 120;

/** A ranked unit and its activation over the document, averaged into at most SPARK_POINTS buckets. */
export interface UnitSummary {
  unit: string;
  spark: number[];
}

/** A series averaged into at most SPARK_POINTS equal buckets. */
export function spark(values: Float32Array): number[] {
  const n = values.length;
  const k = Math.min(SPARK_POINTS, n);
  const out: number[] = [];
  for (let b = 0; b < k; b++) {
    const lo = Math.floor((b * n) / k);
    const hi = Math.max(lo + 1, Math.floor(((b + 1) * n) / k));
    let s = 0;
    for (let t = lo; t < hi; t++) s += values[t];
    out.push(s / (hi - lo));
  }
  return out;
}

/**
 * What the Units view shows of an inspection: the top units per feature and a sparkline of each
 * unit named there. The editor computes this after every inspection, so it is part of what an
 * inspection costs.
 */
export function unitsView(ins: TextInspection, top = 8): { ranking: FeatureRanking[]; units: UnitSummary[] } {
  const ranking = ins.trace.tokens.length >= 3 ? rankUnits(ins.trace, ins.features, top) : [];
  const names = [...new Set(ranking.flatMap((r) => r.top.map((u) => u.unit)))];
  const units = names.map((unit) => ({
    unit,
    spark: spark(unitSeries(ins.trace, parseUnit(unit, ins.trace)!)),
  }));
  return { ranking, units };
}
