import { rankUnitsMarked, type FeatureRanking } from './correlate';
import type { TextInspection } from './inspectText';

/** Points per sparkline: about what a row of the Units view shows. */
export const SPARK_POINTS = 120;

/** A ranked unit and its activation over the document, averaged into at most SPARK_POINTS buckets. */
export interface UnitSummary {
  unit: string;
  spark: number[];
}

/** Where each of the at most SPARK_POINTS equal buckets over n positions ends (they tile [0, n)). */
function bucketEnds(n: number): number[] {
  const k = Math.min(SPARK_POINTS, n);
  return Array.from({ length: k }, (_, b) =>
    Math.max(Math.floor((b * n) / k) + 1, Math.floor(((b + 1) * n) / k)),
  );
}

/** A series averaged into at most SPARK_POINTS equal buckets. */
export function spark(values: Float32Array): number[] {
  let lo = 0;
  return bucketEnds(values.length).map((hi) => {
    let s = 0;
    for (let t = lo; t < hi; t++) s += values[t];
    const mean = s / (hi - lo);
    lo = hi;
    return mean;
  });
}

/**
 * What the Units view shows of an inspection: the top units per feature and a sparkline of each
 * unit named there. The editor computes this after every inspection, so it is part of what an
 * inspection costs.
 */
export function unitsView(ins: TextInspection, top = 8): { ranking: FeatureRanking[]; units: UnitSummary[] } {
  const n = ins.trace.tokens.length;
  if (n < 3) return { ranking: [], units: [] };
  // The sparklines come with the ranking: differences of each unit's running sum at the buckets' ends.
  const ends = bucketEnds(n);
  const { ranking, prefix } = rankUnitsMarked(ins.trace, ins.features, top, ends);
  const names = [...new Set(ranking.flatMap((r) => r.top.map((u) => u.unit)))];
  const units = names.map((unit) => {
    const p = prefix.get(unit)!;
    return { unit, spark: ends.map((hi, b) => (p[b] - (b ? p[b - 1] : 0)) / (hi - (b ? ends[b - 1] : 0))) };
  });
  return { ranking, units };
}
