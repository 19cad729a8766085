import { FEATURE_NAMES, type FeatureName } from './features';
import type { ModelTrace } from './trace';

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
 * One pass per feature over the units' sums: O(positions × units × features).
 */
export function rankUnits(
  trace: ModelTrace,
  features: Record<FeatureName, Float32Array>,
  top = 10,
): FeatureRanking[] {
  const n = trace.tokens.length;
  const H = trace.config.hidden;
  // Centred features; the ones that do not vary over the text are left out.
  const names = FEATURE_NAMES.filter((k) => {
    const f = features[k];
    for (let t = 1; t < n; t++) if (f[t] !== f[0]) return n >= 3;
    return false;
  });
  const F = names.length;
  const centred = names.map((k) => {
    const f = features[k];
    let m = 0;
    for (let t = 0; t < n; t++) m += f[t];
    m /= n;
    return Float64Array.from(f, (v) => v - m);
  });
  const fsd = centred.map((d) => Math.sqrt(d.reduce((a, v) => a + v * v, 0) / n));
  const ranked: UnitCorrelation[][] = names.map(() => []);
  const sources = trace.config.cell === 'lstm' ? (['h', 'c'] as const) : (['h'] as const);
  for (const kind of sources)
    for (let layer = 0; layer < trace.config.layers; layer++) {
      const a = (kind === 'c' ? trace.cell : trace.hidden)[layer];
      // Row by row, so that the inner loops run over contiguous memory. Σ a·(f − f̄) is the
      // covariance's numerator without centring a (the centred feature sums to zero).
      const s = new Float64Array(H);
      const s2 = new Float64Array(H);
      const cov = new Float64Array(F * H);
      for (let t = 0; t < n; t++) {
        const row = t * H;
        for (let j = 0; j < H; j++) {
          const v = a[row + j];
          s[j] += v;
          s2[j] += v * v;
        }
        for (let k = 0; k < F; k++) {
          const d = centred[k][t];
          if (d === 0) continue;
          const off = k * H;
          for (let j = 0; j < H; j++) cov[off + j] += a[row + j] * d;
        }
      }
      for (let j = 0; j < H; j++) {
        const m = s[j] / n;
        const sd = Math.sqrt(Math.max(0, s2[j] / n - m * m));
        if (!(sd > 1e-9)) continue;
        const unit = unitName({ kind, layer, index: j });
        for (let k = 0; k < F; k++) ranked[k].push({ unit, r: cov[k * H + j] / n / (sd * fsd[k]) });
      }
    }
  return names.map((feature, k) => ({
    feature,
    top: ranked[k].sort((x, y) => Math.abs(y.r) - Math.abs(x.r)).slice(0, top),
  }));
}
