import { UNIT_SUMS_WASM_BASE64 } from '../wasm/unitSumsKernelWasm';

/** A stretch of positions [start, end) over which a feature is affine: f(t) = a + b·t. */
export interface AffineRun {
  end: number;
  a: number;
  b: number;
}

/**
 * A feature as its affine runs, or undefined when it has too many to be worth it (a feature that
 * jumps at most positions). Text features mostly are: constant inside a string, a comment or on a
 * line, the position in the line rising by one per character.
 */
export function affineRuns(f: Float32Array): AffineRun[] | undefined {
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
 * Rows summed per column in one go at most: a block that stays in the first-level cache while the
 * sums walk down its columns (32 rows of 256 floats are 32 KiB). Segments never cross a multiple
 * of it, so that the kernel's copies of x (CHUNK rows, a multiple of it) hold whole segments.
 */
const SEGMENT = 32;

/** Rows of x copied into the kernel's memory at a time. */
const CHUNK = 8 * SEGMENT;

/**
 * How to sum a set of features over n positions, the same for every unit source of a trace.
 *
 * A feature given as affine runs f(t) = a_r + b_r·t is summed from the running sums
 * P(e) = Σ_{t<e} x_t and Q(e) = Σ_{t<e} t·x_t at its run ends e alone:
 * Σ_r a_r·(P(e_r) − P(e_{r−1})) + b_r·(Q(e_r) − Q(e_{r−1})), regrouped by run end, is
 * Σ_r α_r·P(e_r) + β_r·Q(e_r) with α_r = a_r − a_{r+1} and β_r = b_r − b_{r+1}: one H-vector
 * multiply-add per run end (half that where the slope stays, as between two strings or two lines)
 * instead of one per position.
 *
 * `schedule` cuts the positions into segments at every run end of every such feature, at every
 * mark (a position where the running Σ x is wanted: the Units view's sparklines are differences
 * of it) and at multiples of SEGMENT: per segment its end, the index of the mark there (or −1),
 * the number of run ends there, then per run end the feature's index, α and β (those with α = β
 * = 0 left out). `direct`: the features with no affine runs, summed position by position where
 * they are non-zero.
 */
export interface SumPlan {
  n: number;
  feats: Float32Array[];
  direct: number[];
  marks: number;
  schedule: Float64Array;
}

/** The plan for `feats` over n positions; `marks` strictly increasing, each in (0, n]. */
export function sumPlan(feats: Float32Array[], n: number, marks: ArrayLike<number> = []): SumPlan {
  const runs = feats.map(affineRuns);
  const ranged = feats.map((_, k) => k).filter((k) => runs[k]);
  const next = new Int32Array(feats.length);
  const out: number[] = [];
  let m = 0;
  for (let from = 0; from < n;) {
    let to = Math.min(n, from - (from % SEGMENT) + SEGMENT);
    for (const k of ranged) to = Math.min(to, runs[k]![next[k]].end);
    if (m < marks.length) to = Math.min(to, marks[m]);
    const at = out.length + 2;
    out.push(to, m < marks.length && marks[m] === to ? m++ : -1, 0);
    for (const k of ranged) {
      const rs = runs[k]!;
      const r = next[k];
      if (rs[r].end !== to) continue;
      next[k]++;
      const alpha = rs[r].a - (r + 1 < rs.length ? rs[r + 1].a : 0);
      const beta = rs[r].b - (r + 1 < rs.length ? rs[r + 1].b : 0);
      if (alpha === 0 && beta === 0) continue;
      out.push(k, alpha, beta);
      out[at]++;
    }
    from = to;
  }
  return {
    n,
    feats,
    direct: feats.map((_, k) => k).filter((k) => !runs[k]),
    marks: marks.length,
    schedule: Float64Array.from(out),
  };
}

/**
 * The per-column sums a ranking needs: Σ f·x per feature (F × H, feature-major), Σ x and Σ x²;
 * and Σ x over the positions before each mark (marks × H).
 */
export interface ColumnSums {
  dot: Float64Array;
  s: Float64Array;
  s2: Float64Array;
  marked: Float64Array;
}

/**
 * Σ_t f(t)·x[t, j] for every feature f of the plan and column j of x [n × H], with the columns'
 * Σ x and Σ x². Within a segment each column's Σ x, Σ x² and Σ t·x are summed walking down the
 * column, in registers, and only then added to the running sums that the run ends read.
 *
 * In the SIMD kernel where WebAssembly has it, else in plain JS (`simd` false forces that: the
 * tests compare the two).
 */
export function featureSums(x: Float32Array, H: number, plan: SumPlan, simd = true): ColumnSums {
  const { n, feats } = plan;
  const out = (simd && wasmSums(x, H, plan)) || jsSums(x, H, plan);
  for (const k of plan.direct) {
    const f = feats[k];
    const off = k * H;
    for (let t = 0; t < n; t++) {
      const d = f[t];
      if (d === 0) continue;
      const row = t * H;
      for (let j = 0; j < H; j++) out.dot[off + j] += x[row + j] * d;
    }
  }
  return out;
}

/**
 * The plain-JS path: the running sums per row rather than per segment and column (a loop down a
 * column costs more in JS than the sums it saves for segments this short), so its rounding
 * differs from the kernel's in the last bits.
 */
function jsSums(x: Float32Array, H: number, plan: SumPlan): ColumnSums {
  const { n, schedule: sc } = plan;
  const dot = new Float64Array(plan.feats.length * H);
  const s = new Float64Array(H);
  const s2 = new Float64Array(H);
  const st = new Float64Array(H);
  const marked = new Float64Array(plan.marks * H);
  let p = 0;
  for (let from = 0; from < n;) {
    const to = sc[p];
    const mark = sc[p + 1];
    const events = sc[p + 2];
    p += 3;
    for (let t = from; t < to; t++) {
      const row = t * H;
      for (let j = 0; j < H; j++) {
        const v = x[row + j];
        s[j] += v;
        s2[j] += v * v;
        st[j] += t * v;
      }
    }
    if (mark >= 0) marked.set(s, mark * H);
    for (let e = 0; e < events; e++, p += 3) {
      const off = sc[p] * H;
      const alpha = sc[p + 1];
      const beta = sc[p + 2];
      if (beta === 0) for (let j = 0; j < H; j++) dot[off + j] += alpha * s[j];
      else for (let j = 0; j < H; j++) dot[off + j] += alpha * s[j] + beta * st[j];
    }
    from = to;
  }
  return { dot, s, s2, marked };
}

interface SumsKernel {
  run(
    x: number,
    t0: number,
    t1: number,
    hp: number,
    sc: number,
    s: number,
    s2: number,
    st: number,
    dot: number,
    marked: number,
  ): number;
}

/** The kernel and its memory, kept between rankings (grown as needed); null: no SIMD here. */
let kernel: { k: SumsKernel; memory: WebAssembly.Memory } | null | undefined;

/** Whether featureSums runs in the SIMD kernel here (else in plain JS). */
export function unitSumsKernelAvailable(): boolean {
  kernel ??= loadKernel();
  return kernel !== null;
}

function loadKernel(): typeof kernel {
  try {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const mod = new WebAssembly.Module(Buffer.from(UNIT_SUMS_WASM_BASE64, 'base64'));
    const k = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as SumsKernel;
    return { k, memory };
  } catch {
    return null;
  }
}

/**
 * jsSums in the SIMD kernel, or undefined where WebAssembly SIMD is missing. Its memory holds the
 * running sums (columns padded to hp = H rounded up to 4; padded lanes are never read back), the
 * schedule, and CHUNK rows of x at a time.
 */
function wasmSums(x: Float32Array, H: number, plan: SumPlan): ColumnSums | undefined {
  kernel ??= loadKernel();
  if (!kernel) return undefined;
  const { k, memory } = kernel;
  const { n, schedule } = plan;
  const F = plan.feats.length;
  const hp = (H + 3) & ~3;
  const vec = hp * 8;
  const [s, s2, st, dot] = [0, vec, 2 * vec, 3 * vec];
  const marked = (3 + F) * vec;
  const sc = marked + plan.marks * vec;
  const xs = (sc + schedule.length * 8 + 15) & ~15;
  const bytes = xs + CHUNK * hp * 4;
  if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
  const f32 = new Float32Array(memory.buffer);
  const f64 = new Float64Array(memory.buffer);
  f64.fill(0, 0, marked >> 3);
  f64.set(schedule, sc >> 3);
  let p = sc;
  for (let c = 0; c < n; c += CHUNK) {
    const end = Math.min(c + CHUNK, n);
    if (hp === H) f32.set(x.subarray(c * H, end * H), xs >> 2);
    else for (let t = c; t < end; t++) f32.set(x.subarray(t * H, (t + 1) * H), (xs >> 2) + (t - c) * hp);
    p = k.run(xs, c, end, hp, p, s, s2, st, dot, marked);
  }
  // `count` rows of hp doubles from byte `at`, as rows of H.
  const rows = (at: number, count: number) => {
    const out = new Float64Array(count * H);
    for (let i = 0; i < count; i++) out.set(f64.subarray((at >> 3) + i * hp, (at >> 3) + i * hp + H), i * H);
    return out;
  };
  return { dot: rows(dot, F), s: rows(s, 1), s2: rows(s2, 1), marked: rows(marked, plan.marks) };
}
