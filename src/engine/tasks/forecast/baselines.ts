/**
 * The baselines a forecaster must beat, on the same windows it sees: the naive forecast (the last
 * value, repeated), the seasonal naive forecast (the value one season back) and a linear
 * autoregression on the window (least squares). Forecasts are [origins × horizon], row-major.
 */

/** ŷ(t+h) = y(t−1) for every h. */
export function naiveForecast(y: Float64Array, origins: number[], horizon: number): Float64Array {
  const out = new Float64Array(origins.length * horizon);
  origins.forEach((t, i) => out.fill(y[t - 1], i * horizon, (i + 1) * horizon));
  return out;
}

/**
 * ŷ(t+h) = y(t+h−k·S) with k the fewest whole seasons that reach back before t. With S no longer
 * than the window it reads only the window, as the model does.
 */
export function seasonalNaiveForecast(
  y: Float64Array,
  origins: number[],
  horizon: number,
  season: number,
): Float64Array {
  const out = new Float64Array(origins.length * horizon);
  origins.forEach((t, i) => {
    for (let h = 0; h < horizon; h++) out[i * horizon + h] = y[t + h - season * (Math.floor(h / season) + 1)];
  });
  return out;
}

/**
 * Linear autoregression: ŷ(t+h) = β_h0 + Σ_j β_hj · y(t−window+j), one least-squares fit per
 * step ahead, on standardised values (`mean`, `std`). Coefficients: [horizon][window + 1].
 */
export interface ArModel {
  coef: number[][];
  mean: number;
  std: number;
}

/** Solves the symmetric positive definite system A x = b in place (Cholesky); A is n×n row-major. */
export function choleskySolve(A: Float64Array, b: Float64Array[], n: number): Float64Array[] {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = i === j ? Math.sqrt(Math.max(s, 1e-300)) : s / L[j * n + j];
    }
  return b.map((rhs) => {
    const z = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = rhs[i];
      for (let k = 0; k < i; k++) s -= L[i * n + k] * z[k];
      z[i] = s / L[i * n + i];
    }
    const x = new Float64Array(n);
    for (let i = n - 1; i >= 0; i--) {
      let s = z[i];
      for (let k = i + 1; k < n; k++) s -= L[k * n + i] * x[k];
      x[i] = s / L[i * n + i];
    }
    return x;
  });
}

export function fitAutoregression(
  y: Float64Array,
  origins: number[],
  window: number,
  horizon: number,
  mean: number,
  std: number,
): ArModel {
  const n = window + 1;
  const A = new Float64Array(n * n);
  const B = Array.from({ length: horizon }, () => new Float64Array(n));
  const row = new Float64Array(n);
  for (const t of origins) {
    row[0] = 1;
    for (let j = 0; j < window; j++) row[j + 1] = (y[t - window + j] - mean) / std;
    for (let a = 0; a < n; a++) {
      for (let b = 0; b <= a; b++) A[a * n + b] += row[a] * row[b];
      for (let h = 0; h < horizon; h++) B[h][a] += row[a] * ((y[t + h] - mean) / std);
    }
  }
  for (let a = 0; a < n; a++) for (let b = 0; b < a; b++) A[b * n + a] = A[a * n + b];
  // A whisper of ridge keeps the system solvable when the window has more lags than rows vary in
  // (a constant or perfectly periodic series); it moves a well-posed fit by ~1e-9.
  let trace = 0;
  for (let a = 0; a < n; a++) trace += A[a * n + a];
  for (let a = 0; a < n; a++) A[a * n + a] += 1e-9 * (trace / n) + 1e-12;
  return { coef: choleskySolve(A, B, n).map((x) => Array.from(x)), mean, std };
}

export function arForecast(
  ar: ArModel,
  y: Float64Array,
  origins: number[],
  window: number,
  horizon: number,
): Float64Array {
  const out = new Float64Array(origins.length * horizon);
  origins.forEach((t, i) => {
    for (let h = 0; h < horizon; h++) {
      const c = ar.coef[h];
      let s = c[0];
      for (let j = 0; j < window; j++) s += c[j + 1] * ((y[t - window + j] - ar.mean) / ar.std);
      out[i * horizon + h] = s * ar.std + ar.mean;
    }
  });
  return out;
}

/** The actual values at each origin's horizon, [origins × horizon]. */
export function actuals(y: Float64Array, origins: number[], horizon: number): Float64Array {
  const out = new Float64Array(origins.length * horizon);
  origins.forEach((t, i) => out.set(y.subarray(t, t + horizon), i * horizon));
  return out;
}
