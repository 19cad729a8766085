import { FEATURE_NAMES, type FeatureName } from './features';
import type { ModelTrace } from './trace';
import { featureSums, sumPlan } from './unitSums';

/** A unit of the model: layer l's hidden state h or LSTM cell state c, index j. */
export interface UnitRef {
  layer: number;
  kind: 'h' | 'c';
  index: number;
}

export const unitName = (u: UnitRef): string => `${u.kind}${u.layer}.${u.index}`;

/** "h1.40", "c0.3", or a plain index into layer 0's h (the CLI's --units 12,40). */
export function parseUnit(s: string, trace: Pick<ModelTrace, 'config'>): UnitRef | undefined {
  const { hidden: H, layers, cell } = trace.config;
  const m = /^(?:([hc])(\d+)\.)?(\d+)$/.exec(s.trim());
  if (!m) return undefined;
  const u: UnitRef = {
    kind: (m[1] as 'h' | 'c') ?? 'h',
    layer: m[2] ? Number(m[2]) : 0,
    index: Number(m[3]),
  };
  if (u.layer >= layers || u.index >= H || (u.kind === 'c' && cell !== 'lstm')) return undefined;
  return u;
}

/** Every unit of a trace: h of each layer, then c of each layer for LSTM. */
export function allUnits(trace: ModelTrace): UnitRef[] {
  const { hidden: H, layers, cell } = trace.config;
  const out: UnitRef[] = [];
  for (const kind of cell === 'lstm' ? (['h', 'c'] as const) : (['h'] as const))
    for (let layer = 0; layer < layers; layer++)
      for (let index = 0; index < H; index++) out.push({ layer, kind, index });
  return out;
}

/** A unit's activation at every position. */
export function unitSeries(trace: ModelTrace, u: UnitRef): Float32Array {
  const H = trace.config.hidden;
  const src = (u.kind === 'c' ? trace.cell : trace.hidden)[u.layer];
  const n = trace.tokens.length;
  const out = new Float32Array(n);
  for (let t = 0; t < n; t++) out[t] = src[t * H + u.index];
  return out;
}

export interface UnitCorrelation {
  unit: string;
  /** Pearson correlation of the unit's activation with the feature over the positions. */
  r: number;
}

export interface FeatureRanking {
  feature: FeatureName;
  /** Units by |r|, strongest first (the best TOP of them). */
  top: UnitCorrelation[];
}

/**
 * Ranks units by the Pearson correlation of their activation with each feature over all
 * positions. A feature that does not vary over the text (no comments in it) has no ranking.
 * One pass per source (h or c of a layer) over the positions; see featureSums.
 */
export function rankUnits(
  trace: ModelTrace,
  features: Record<FeatureName, Float32Array>,
  top = 10,
): FeatureRanking[] {
  return rankUnitsMarked(trace, features, top, []).ranking;
}

/**
 * rankUnits, and for each unit it ranks, the sum of its activation over the positions before each
 * of `marks` (strictly increasing, each in (0, n]), taken in the same pass: what the Units view's
 * sparklines are differences of.
 */
export function rankUnitsMarked(
  trace: ModelTrace,
  features: Record<FeatureName, Float32Array>,
  top: number,
  marks: ArrayLike<number>,
): { ranking: FeatureRanking[]; prefix: Map<string, Float64Array> } {
  const n = trace.tokens.length;
  const H = trace.config.hidden;
  // The features that do not vary over the text are left out.
  const names = FEATURE_NAMES.filter((k) => {
    const f = features[k];
    for (let t = 1; t < n; t++) if (f[t] !== f[0]) return n >= 3;
    return false;
  });
  const F = names.length;
  if (F === 0) return { ranking: [], prefix: new Map() };
  const feats = names.map((k) => features[k]);
  const plan = sumPlan(feats, n, marks);
  const fmean = feats.map((f) => f.reduce((a, v) => a + v, 0) / n);
  const fsd = feats.map((f, k) => Math.sqrt(f.reduce((a, v) => a + (v - fmean[k]) ** 2, 0) / n));
  const refs: UnitRef[] = [];
  // Per unit, its source's Σ x before each mark (marks × H) and its column there.
  const marked: Float64Array[] = [];
  // Per feature, r of every unit that varies (refs[u] is unit u), strongest kept below.
  const r = names.map(() => new Float64Array(allUnitCount(trace)));
  const sources = trace.config.cell === 'lstm' ? (['h', 'c'] as const) : (['h'] as const);
  for (const kind of sources)
    for (let layer = 0; layer < trace.config.layers; layer++) {
      const a = (kind === 'c' ? trace.cell : trace.hidden)[layer];
      const sums = featureSums(a, H, plan);
      const { dot, s, s2 } = sums;
      for (let j = 0; j < H; j++) {
        const m = s[j] / n;
        const sd = Math.sqrt(Math.max(0, s2[j] / n - m * m));
        if (!(sd > 1e-9)) continue;
        const u = refs.length;
        refs.push({ kind, layer, index: j });
        marked.push(sums.marked);
        // Σ a·(f − f̄) = Σ a·f − f̄·Σ a: the covariance's numerator.
        for (let k = 0; k < F; k++) r[k][u] = (dot[k * H + j] - fmean[k] * s[j]) / n / (sd * fsd[k]);
      }
    }
  const prefix = new Map<string, Float64Array>();
  const ranking = names.map((feature, k) => ({
    feature,
    top: strongest(r[k], refs.length, top).map((u) => {
      const unit = unitName(refs[u]);
      const j = refs[u].index;
      if (!prefix.has(unit))
        prefix.set(
          unit,
          Float64Array.from({ length: marks.length }, (_, m) => marked[u][m * H + j]),
        );
      return { unit, r: r[k][u] };
    }),
  }));
  return { ranking, prefix };
}

const allUnitCount = (trace: ModelTrace): number =>
  trace.config.hidden * trace.config.layers * (trace.config.cell === 'lstm' ? 2 : 1);

/**
 * Indices of the `top` largest |r[u]| for u < count, largest first, the earlier index first among
 * equals (what a stable sort of all of them by |r| gives), by insertion into a short sorted list:
 * the Units view asks for a few of a thousand units.
 */
function strongest(r: Float64Array, count: number, top: number): number[] {
  const out: number[] = [];
  for (let u = 0; u < count; u++) {
    const v = Math.abs(r[u]);
    if (out.length >= top && !(v > Math.abs(r[out[out.length - 1]]))) continue;
    let i = out.length;
    while (i > 0 && v > Math.abs(r[out[i - 1]])) i--;
    out.splice(i, 0, u);
    if (out.length > top) out.pop();
  }
  return out;
}
