// A long run's step columns thinned for the charts before they cross to the webview: 200 runs of
// 10,000 steps are 110 MB of JSON in full, and a chart about 1,000 pixels wide shows no more than
// ~2,000 points a run anyway. Exports stay exact: the host reads metrics.jsonl again for them.
import { SeriesPatch, STEP_COLUMNS } from './protocol';

/** Points a run's step columns are thinned to (about); shorter runs are sent whole. */
export const SAMPLED_POINTS = 2000;

/**
 * The row indices kept out of `n`: the first and last, every row in `keep`, and in each of
 * `buckets` equal slices the rows holding each column's minimum and maximum (so a loss spike or an
 * exploding gradient stays visible), in ascending order.
 */
export function sampleIndices(n: number, columns: number[][], keep: Set<number>, buckets: number): number[] {
  const out = new Set<number>(keep);
  if (n > 0) out.add(0).add(n - 1);
  const size = n / buckets;
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor(b * size);
    const hi = Math.min(n, Math.floor((b + 1) * size));
    if (hi <= lo) continue;
    for (const y of columns) {
      let iMin = -1;
      let iMax = -1;
      for (let i = lo; i < hi; i++) {
        // NaN (a gap) is never a minimum or maximum.
        if (!(y[i] >= y[iMin])) iMin = Number.isNaN(y[i]) ? iMin : i;
        if (!(y[i] <= y[iMax])) iMax = Number.isNaN(y[i]) ? iMax : i;
      }
      if (iMin >= 0) out.add(iMin);
      if (iMax >= 0) out.add(iMax);
    }
  }
  return [...out].filter((i) => i >= 0 && i < n).sort((a, b) => a - b);
}

/**
 * The patch with its step rows thinned to about `points` when it holds more than twice that,
 * keeping the rows at evaluation steps; `sampledFrom` then says how many rows the run has.
 * Evaluations, samples and everything else pass whole.
 */
export function sampleSteps(p: SeriesPatch, points = SAMPLED_POINTS): SeriesPatch {
  const s = p.steps;
  const n = s.step.length;
  if (n <= points * 2) return p;
  const evalSteps = new Set(p.evals.step);
  const keep = new Set<number>();
  s.step.forEach((x, i) => {
    if (evalSteps.has(x)) keep.add(i);
  });
  // Two columns with their minimum and maximum: up to four rows a bucket.
  const idx = sampleIndices(n, [s.loss, s.gradNorm], keep, Math.max(1, Math.floor(points / 4)));
  const pick = (col: number[]) => idx.map((i) => col[i]);
  const steps = {
    ...Object.fromEntries(STEP_COLUMNS.map((c) => [c, pick(s[c])])),
    layerNorms: Object.fromEntries(Object.entries(s.layerNorms).map(([g, col]) => [g, pick(col)])),
  } as SeriesPatch['steps'];
  return { ...p, steps, sampledFrom: n };
}
