import { Rng } from '../rng';

/** Keras' glorot_uniform: U(±sqrt(6 / (fan_in + fan_out))) over the whole [in, out] matrix. */
export function glorotUniform(rng: Rng, rows: number, cols: number): Float32Array {
  const lim = Math.sqrt(6 / (rows + cols));
  const a = new Float32Array(rows * cols);
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-lim, lim);
  return a;
}

export function uniform(rng: Rng, n: number, lim: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-lim, lim);
  return a;
}

/**
 * Keras' orthogonal initializer for a [rows, cols] matrix: QR (here modified Gram–Schmidt, in
 * float64) of a Gaussian matrix, so that the rows (rows <= cols) or columns are orthonormal.
 * Orthogonal recurrent weights keep ‖∂h_t/∂h_{t-1}‖ near 1 at the start of training.
 */
export function orthogonal(rng: Rng, rows: number, cols: number): Float32Array {
  const n = Math.max(rows, cols);
  const k = Math.min(rows, cols);
  // k vectors of length n, orthonormalised.
  const v: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = rng.normal();
    for (const q of v) {
      let d = 0;
      for (let i = 0; i < n; i++) d += q[i] * x[i];
      for (let i = 0; i < n; i++) x[i] -= d * q[i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += x[i] * x[i];
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) x[i] /= norm;
    v.push(x);
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[r * cols + c] = rows <= cols ? v[r][c] : v[c][r];
  return out;
}
