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

/** A stretch of positions [start, end) over which a feature is affine: f(t) = a + b·t. */
interface AffineRun {
  end: number;
  a: number;
  b: number;
}

/**
 * A feature as its affine runs, or undefined when it has too many to be worth it (a feature that
 * jumps at most positions). Text features mostly are: constant inside a string, a comment or on a
 * line, the position in the line rising by one per character.
 */
function affineRuns(f: Float32Array): AffineRun[] | undefined {
  const n = f.length;
  const runs: AffineRun[] = [];
  for (let s = 0; s < n;) {
    const b = s + 1 < n ? f[s + 1] - f[s] : 0;
    let e = s + 1;
    while (e < n && f[e] - f[e - 1] === b) e++;
    runs.push({ end: e, a: f[s] - b * s, b });
    if (runs.length > n / 4) return undefined;
    s = e;
  }
  return runs;
}

/**
 * Σ_t f(t)·x[t, j] for every feature f and column j of x [n × H], in one pass over x's rows. A
 * feature given as affine runs costs two H-vector operations per run, from running sums of x_t
 * and t·x_t (over a run, Σ (a + b·t) x_t = a·ΔΣx_t + b·ΔΣt·x_t), instead of one per position.
 * Also returns the columns' Σ x and Σ x², for the means and deviations.
 */
function featureSums(
  x: Float32Array,
  n: number,
  H: number,
  feats: Float32Array[],
  runs: (AffineRun[] | undefined)[],
): { dot: Float64Array; s: Float64Array; s2: Float64Array } {
  const F = feats.length;
  const dot = new Float64Array(F * H);
  const s = new Float64Array(H);
  const s2 = new Float64Array(H);
  const st = new Float64Array(H);
  // Per feature: the running sums where its current run began, and which run that is.
  const s0 = runs.map((r) => (r ? new Float64Array(H) : undefined));
  const st0 = runs.map((r) => (r ? new Float64Array(H) : undefined));
  const next = new Int32Array(F);
  const direct = feats.map((_, k) => k).filter((k) => !runs[k]);
  const ranged = feats.map((_, k) => k).filter((k) => runs[k]);
  for (let t = 0; t < n; t++) {
    const row = t * H;
    for (let j = 0; j < H; j++) {
      const v = x[row + j];
      s[j] += v;
      s2[j] += v * v;
      st[j] += t * v;
    }
    for (const k of direct) {
      const d = feats[k][t];
      if (d === 0) continue;
      const off = k * H;
      for (let j = 0; j < H; j++) dot[off + j] += x[row + j] * d;
    }
    for (const k of ranged) {
      const r = runs[k]![next[k]];
      if (r.end !== t + 1) continue;
      next[k]++;
      const a0 = s0[k]!;
      const b0 = st0[k]!;
      const off = k * H;
      for (let j = 0; j < H; j++) {
        dot[off + j] += r.a * (s[j] - a0[j]) + r.b * (st[j] - b0[j]);
        a0[j] = s[j];
        b0[j] = st[j];
      }
    }
  }
  return { dot, s, s2 };
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
  const n = trace.tokens.length;
  const H = trace.config.hidden;
  // The features that do not vary over the text are left out.
  const names = FEATURE_NAMES.filter((k) => {
    const f = features[k];
    for (let t = 1; t < n; t++) if (f[t] !== f[0]) return n >= 3;
    return false;
  });
  const F = names.length;
  const feats = names.map((k) => features[k]);
  const runs = feats.map(affineRuns);
  const fmean = feats.map((f) => f.reduce((a, v) => a + v, 0) / n);
  const fsd = feats.map((f, k) => Math.sqrt(f.reduce((a, v) => a + (v - fmean[k]) ** 2, 0) / n));
  const ranked: UnitCorrelation[][] = names.map(() => []);
  const sources = trace.config.cell === 'lstm' ? (['h', 'c'] as const) : (['h'] as const);
  for (const kind of sources)
    for (let layer = 0; layer < trace.config.layers; layer++) {
      const a = (kind === 'c' ? trace.cell : trace.hidden)[layer];
      const { dot, s, s2 } = featureSums(a, n, H, feats, runs);
      for (let j = 0; j < H; j++) {
        const m = s[j] / n;
        const sd = Math.sqrt(Math.max(0, s2[j] / n - m * m));
        if (!(sd > 1e-9)) continue;
        const unit = unitName({ kind, layer, index: j });
        // Σ a·(f − f̄) = Σ a·f − f̄·Σ a: the covariance's numerator.
        for (let k = 0; k < F; k++)
          ranked[k].push({ unit, r: (dot[k * H + j] - fmean[k] * s[j]) / n / (sd * fsd[k]) });
      }
    }
  return names.map((feature, k) => ({
    feature,
    top: ranked[k].sort((x, y) => Math.abs(y.r) - Math.abs(x.r)).slice(0, top),
  }));
}
