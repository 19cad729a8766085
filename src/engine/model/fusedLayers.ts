import * as tf from '@tensorflow/tfjs';
import type { CellKernel } from './cellKernel';
import type { RecurrentLayerArgs } from './layers';

type Grad = tf.GradSaveFunc;

/**
 * The recurrent layers of layers.ts with each timestep's gate math done by one call into
 * cellKernel.wat instead of a dozen TF.js ops, forward and backward. Per step and layer this
 * leaves one TF.js matMul and one kernel call each way. The math, the saved values and the
 * gradients are those of layers.ts (the unit tests hold the two paths together).
 *
 * Window tensors: hs [(T+1)·B, H] holds h_0..h_T (h_0 the initial state), cs likewise for the
 * LSTM cell state, gates [T·B, 4H] the activated gates (GRU: z, r, n and (h U + c)_n).
 */
export interface FusedLayerResult {
  value: tf.Tensor2D;
  gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => tf.Tensor[];
}

function record(a: RecurrentLayerArgs, t: number, sumSquares: number): void {
  a.recorder?.addValue(a.layerIndex ?? 0, t, Math.sqrt(sumSquares));
}

export function lstmFused(
  k: CellKernel,
  a: RecurrentLayerArgs,
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  rec: tf.Tensor2D,
  bias: tf.Tensor1D,
  save: Grad,
): FusedLayerResult {
  const { T, B, H } = a;
  const G = 4 * H;
  const xw = tf.add(tf.matMul(x, kernel), bias) as tf.Tensor2D;
  const hs = k.alloc([(T + 1) * B, H]);
  const cs = k.alloc([(T + 1) * B, H]);
  const gates = k.alloc([T * B, G]);
  k.copy(a.initial.h, k.ptr(hs));
  k.copy(a.initial.c!, k.ptr(cs));
  const h = forwardThroughTime(k, a, rec, (t, hr, next) =>
    k.fn.lstm_fwd(
      k.row(xw, t * B, G),
      k.ptr(hr),
      k.row(cs, t * B, H),
      k.row(gates, t * B, G),
      k.row(cs, (t + 1) * B, H),
      k.ptr(next),
      k.row(hs, (t + 1) * B, H),
      B,
      H,
    ),
  );
  const out = tf.slice(hs, [B, 0], [T * B, H]) as tf.Tensor2D;
  a.onFinalState?.({
    h: tf.keep(h) as tf.Tensor2D,
    c: tf.keep(tf.slice(cs, [T * B, 0], [B, H])) as tf.Tensor2D,
  });
  xw.dispose();
  save([x, kernel, rec, hs, cs, gates]);
  return {
    value: out,
    gradFunc: (dy, saved) => {
      const [sx, sk, sr, shs, scs, sg] = saved as tf.Tensor2D[];
      const recT = tf.transpose(sr) as tf.Tensor2D;
      const zero = tf.zeros([B, H]);
      // One step back; dc is the carried ∂L/∂c, updated in place.
      const back = (t: number, dyPtr: number, dhm: tf.Tensor, dc: tf.Tensor, copyTo: number) => {
        const dz = k.alloc([B, G]);
        const sq = k.fn.lstm_bwd(
          k.row(sg, t * B, G),
          k.row(scs, t * B, H),
          k.row(scs, (t + 1) * B, H),
          dyPtr,
          k.ptr(dhm),
          k.ptr(dc),
          k.ptr(dz),
          copyTo,
          B,
          H,
        );
        return { d: dz, sq };
      };
      const dZ = k.alloc([T * B, G]);
      const dc = tf.zeros([B, H]);
      backThroughTime(
        T,
        zero,
        recT,
        (t, dhm) => back(t, k.row(dy, t * B, H), dhm, dc, k.row(dZ, t * B, G)).d,
      );
      probe(a, k, dy, zero, recT, (t, dyPtr, dhm, carry) => back(t, dyPtr, dhm, carry, 0));
      const hPrev = tf.slice(shs, [0, 0], [T * B, H]) as tf.Tensor2D;
      return [...weightGrads(sx, sk, hPrev, dZ as tf.Tensor2D, dZ as tf.Tensor2D), columnSums(dZ)];
    },
  };
}

export function gruFused(
  k: CellKernel,
  a: RecurrentLayerArgs,
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  rec: tf.Tensor2D,
  bias: tf.Tensor2D,
  save: Grad,
): FusedLayerResult {
  const { T, B, H } = a;
  const G3 = 3 * H;
  const bIn = tf.slice(bias, [0, 0], [1, G3]).reshape([G3]);
  const bRec = tf.slice(bias, [1, 0], [1, G3]);
  const xw = tf.add(tf.matMul(x, kernel), bIn) as tf.Tensor2D;
  const hs = k.alloc([(T + 1) * B, H]);
  const gates = k.alloc([T * B, 4 * H]);
  k.copy(a.initial.h, k.ptr(hs));
  const h = forwardThroughTime(k, a, rec, (t, hr, next) =>
    k.fn.gru_fwd(
      k.row(xw, t * B, G3),
      k.ptr(hr),
      k.ptr(bRec),
      k.row(hs, t * B, H),
      k.row(gates, t * B, 4 * H),
      k.ptr(next),
      k.row(hs, (t + 1) * B, H),
      B,
      H,
    ),
  );
  const out = tf.slice(hs, [B, 0], [T * B, H]) as tf.Tensor2D;
  a.onFinalState?.({ h: tf.keep(h) as tf.Tensor2D });
  tf.dispose([xw, bIn, bRec]);
  save([x, kernel, rec, hs, gates]);
  return {
    value: out,
    gradFunc: (dy, saved) => {
      const [sx, sk, sr, shs, sg] = saved as tf.Tensor2D[];
      const recT = tf.transpose(sr) as tf.Tensor2D;
      const zero = tf.zeros([B, H]);
      // carry holds dh_{t+1} z_{t+1}, the part of ∂L/∂h_t that skips U; updated in place.
      const back = (
        t: number,
        dyPtr: number,
        dhm: tf.Tensor,
        carry: tf.Tensor,
        dxw: number,
        copyTo: number,
      ) => {
        const du = k.alloc([B, G3]);
        const sq = k.fn.gru_bwd(
          k.row(sg, t * B, 4 * H),
          k.row(shs, t * B, H),
          dyPtr,
          k.ptr(dhm),
          k.ptr(carry),
          dxw,
          k.ptr(du),
          copyTo,
          B,
          H,
        );
        return { d: du, sq };
      };
      const dXW = k.alloc([T * B, G3]);
      const dHU = k.alloc([T * B, G3]);
      const carry = tf.zeros([B, H]);
      backThroughTime(
        T,
        zero,
        recT,
        (t, dhm) => back(t, k.row(dy, t * B, H), dhm, carry, k.row(dXW, t * B, G3), k.row(dHU, t * B, G3)).d,
      );
      probe(a, k, dy, zero, recT, (t, dyPtr, dhm, c) => back(t, dyPtr, dhm, c, 0, 0));
      const hPrev = tf.slice(shs, [0, 0], [T * B, H]) as tf.Tensor2D;
      return [
        ...weightGrads(sx, sk, hPrev, dXW as tf.Tensor2D, dHU as tf.Tensor2D),
        tf.stack([columnSums(dXW), columnSums(dHU)]),
      ];
    },
  };
}

export function rnnFused(
  k: CellKernel,
  a: RecurrentLayerArgs,
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  rec: tf.Tensor2D,
  bias: tf.Tensor1D,
  save: Grad,
): FusedLayerResult {
  const { T, B, H } = a;
  const relu = a.activation === 'relu' ? 1 : 0;
  const xw = tf.add(tf.matMul(x, kernel), bias) as tf.Tensor2D;
  const hs = k.alloc([(T + 1) * B, H]);
  k.copy(a.initial.h, k.ptr(hs));
  const h = forwardThroughTime(k, a, rec, (t, hr, next) =>
    k.fn.rnn_fwd(k.row(xw, t * B, H), k.ptr(hr), k.ptr(next), k.row(hs, (t + 1) * B, H), B * H, relu),
  );
  const out = tf.slice(hs, [B, 0], [T * B, H]) as tf.Tensor2D;
  a.onFinalState?.({ h: tf.keep(h) as tf.Tensor2D });
  xw.dispose();
  save([x, kernel, rec, hs]);
  return {
    value: out,
    gradFunc: (dy, saved) => {
      const [sx, sk, sr, shs] = saved as tf.Tensor2D[];
      const recT = tf.transpose(sr) as tf.Tensor2D;
      const zero = tf.zeros([B, H]);
      const back = (t: number, dyPtr: number, dhm: tf.Tensor, copyTo: number) => {
        const da = k.alloc([B, H]);
        const sq = k.fn.rnn_bwd(
          k.row(shs, (t + 1) * B, H),
          dyPtr,
          k.ptr(dhm),
          k.ptr(da),
          copyTo,
          B * H,
          relu,
        );
        return { d: da, sq };
      };
      const dA = k.alloc([T * B, H]);
      backThroughTime(T, zero, recT, (t, dhm) => back(t, k.row(dy, t * B, H), dhm, k.row(dA, t * B, H)).d);
      probe(a, k, dy, zero, recT, (t, dyPtr, dhm) => back(t, dyPtr, dhm, 0));
      const hPrev = tf.slice(shs, [0, 0], [T * B, H]) as tf.Tensor2D;
      return [...weightGrads(sx, sk, hPrev, dA as tf.Tensor2D, dA as tf.Tensor2D), columnSums(dA)];
    },
  };
}

/**
 * ‖∂L_T/∂h_t‖ (see probeBack in layers.ts): the last step's loss gradient alone, carried back
 * through the recurrence with the same backward step; only on recorded steps.
 */
function probe(
  a: RecurrentLayerArgs,
  k: CellKernel,
  dy: tf.Tensor2D,
  zero: tf.Tensor,
  recT: tf.Tensor2D,
  back: (t: number, dyPtr: number, dhm: tf.Tensor, carry: tf.Tensor) => { d: tf.Tensor; sq: number },
): void {
  if (!a.recorder) return;
  const { T, B, H } = a;
  const carry = tf.zeros([B, H]);
  backThroughTime(T, zero, recT, (t, dhm) => {
    const { d, sq } = back(t, t === T - 1 ? k.row(dy, t * B, H) : k.ptr(zero), dhm, carry);
    record(a, t, sq);
    return d;
  });
  carry.dispose();
}

/**
 * The forward recurrence: per step hr = h_{t-1} U (a TF.js matMul), then `cell` (one kernel call)
 * writes h_t into `next`. Returns h_T; the intermediate h tensors are disposed as it goes.
 */
function forwardThroughTime(
  k: CellKernel,
  a: RecurrentLayerArgs,
  rec: tf.Tensor2D,
  cell: (t: number, hr: tf.Tensor, next: tf.Tensor) => void,
): tf.Tensor {
  let h: tf.Tensor = a.initial.h;
  for (let t = 0; t < a.T; t++) {
    const hr = tf.matMul(h as tf.Tensor2D, rec);
    const next = k.alloc([a.B, a.H]);
    cell(t, hr, next);
    hr.dispose();
    if (h !== a.initial.h) h.dispose();
    h = next;
  }
  return h;
}

/**
 * Backward through time: `step(t, dhm)` runs one backward kernel call, where dhm is the gradient
 * reaching h_t through U from step t+1 (zeros at the last step), and returns the gradient of the
 * recurrent pre-activations, whose product with Uᵀ is the next dhm.
 */
function backThroughTime(
  T: number,
  zero: tf.Tensor,
  recT: tf.Tensor2D,
  step: (t: number, dhm: tf.Tensor) => tf.Tensor,
): void {
  let dhm = zero;
  for (let t = T - 1; t >= 0; t--) {
    const d = step(t, dhm);
    if (dhm !== zero) dhm.dispose();
    dhm = t > 0 ? tf.matMul(d as tf.Tensor2D, recT) : zero;
    d.dispose();
  }
}

/**
 * Sums over rows (a bias gradient) as ones[1, N] · m: on wasm, Sum along axis 0 of a [2048, 1024]
 * tensor took 18 ms, the product 0.2 ms.
 */
export function columnSums(m: tf.Tensor): tf.Tensor1D {
  const [rows, cols] = m.shape;
  return tf.reshape(tf.matMul(tf.ones([1, rows]), m as tf.Tensor2D), [cols]);
}

/**
 * Shared tail of every backward pass: input and weight gradients as whole-window matmuls.
 * Explicit transposes: wasm's matMul with a transposed operand takes a ~1 GFLOP/s scalar path.
 */
export function weightGrads(
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  hPrev: tf.Tensor2D,
  dPre: tf.Tensor2D,
  dRecPre: tf.Tensor2D,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const dKernel = tf.matMul(tf.transpose(x), dPre);
  const dRec = tf.matMul(tf.transpose(hPrev), dRecPre);
  const dx = tf.matMul(dPre, tf.transpose(kernel));
  return [dx, dKernel, dRec];
}
