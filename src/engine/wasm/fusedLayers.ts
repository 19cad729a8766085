import * as tf from '@tensorflow/tfjs';
import { cellKernel, type CellKernel } from './cellKernel';
import type { RecurrentLayerArgs } from '../model/layerArgs';

type Grad = tf.GradSaveFunc;

/**
 * The recurrent layers of model/layers.ts on the training kernel (cellKernel.wat): a layer's whole time
 * loop is one kernel call each way (split by batch rows over the helper thread), and its other
 * products run on the kernel's gemm (CellKernel.matMul). The math, the saved values and the
 * gradients are those of model/layers.ts (the unit tests hold the two paths together).
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
  W: tf.Tensor2D,
  rec: tf.Tensor2D,
  bias: tf.Tensor1D,
  save: Grad,
): FusedLayerResult {
  const { T, B, H } = a;
  const G = 4 * H;
  const xw = project(k, a, x, W, bias);
  const hs = k.alloc([(T + 1) * B, H]);
  const cs = k.alloc([(T + 1) * B, H]);
  const gates = k.alloc([T * B, G]);
  k.copy(a.initial.h, k.ptr(hs));
  k.copy(a.initial.c!, k.ptr(cs));
  forward(k, a, rec, [xw], G, (up, hr) => {
    const p = [xw, up, hs, cs, gates, hr].map((t) => k.ptr(t));
    k.split('lstm_fwd_seq', B, (r0, r1, prog) => [...p, T, B, r0, r1, H, prog]);
  });
  const out = windowOutput(a, hs, cs);
  save([x, W, rec, hs, cs, gates]);
  return {
    value: out,
    gradFunc: (dy, saved) => {
      const [sx, sW, sr, shs, scs, sg] = saved as tf.Tensor2D[];
      const dZ = k.alloc([T * B, G]);
      const dc0 = backward(k, a, sr, dZ, G, (s, d, probe, sq) => {
        const p = [sg, scs, dy, s.utp, d, s.dhm, s.carry, s.zero].map((t) => k.ptr(t));
        k.split('lstm_bwd_seq', B, (r0, r1, prog) => [...p, sq(r0), T, B, r0, r1, H, probe, prog]);
      });
      const g = layerGrads(k, a, sx, sW, shs, dZ as tf.Tensor2D, dZ as tf.Tensor2D);
      if (!dc0) return [g.dx, g.dW, g.dRec, g.dBias];
      return [g.dx, g.dW, g.dRec, g.dBias, initialGrad(k, a, dZ, sr), dc0];
    },
  };
}

export function gruFused(
  k: CellKernel,
  a: RecurrentLayerArgs,
  x: tf.Tensor2D,
  W: tf.Tensor2D,
  rec: tf.Tensor2D,
  bias: tf.Tensor2D,
  save: Grad,
): FusedLayerResult {
  const { T, B, H } = a;
  const G3 = 3 * H;
  const bIn = tf.slice(bias, [0, 0], [1, G3]).reshape([G3]);
  const bRec = tf.slice(bias, [1, 0], [1, G3]);
  const xw = project(k, a, x, W, bIn);
  const hs = k.alloc([(T + 1) * B, H]);
  const gates = k.alloc([T * B, 4 * H]);
  k.copy(a.initial.h, k.ptr(hs));
  forward(k, a, rec, [xw, bIn, bRec], G3, (up, hr) => {
    const p = [xw, up, bRec, hs, gates, hr].map((t) => k.ptr(t));
    k.split('gru_fwd_seq', B, (r0, r1, prog) => [...p, T, B, r0, r1, H, prog]);
  });
  const out = windowOutput(a, hs);
  save([x, W, rec, hs, gates]);
  return {
    value: out,
    gradFunc: (dy, saved) => {
      const [sx, sW, sr, shs, sg] = saved as tf.Tensor2D[];
      const dXW = k.alloc([T * B, G3]);
      const dHU = k.alloc([T * B, G3]);
      const carry = backward(k, a, sr, dHU, G3, (s, d, probe, sq) => {
        const p = [sg, shs, dy, s.utp, dXW, d, s.dhm, s.carry, s.zero].map((t) => k.ptr(t));
        k.split('gru_bwd_seq', B, (r0, r1, prog) => [...p, sq(r0), T, B, r0, r1, H, probe, prog]);
      });
      const g = layerGrads(k, a, sx, sW, shs, dXW as tf.Tensor2D, dHU as tf.Tensor2D);
      const grads = [g.dx, g.dW, g.dRec, tf.stack([g.dBias, columnSums(dHU)])];
      // ∂L/∂h_0: the direct path through z (the carry after step 0) and the recurrent product.
      return carry ? [...grads, tf.add(carry, initialGrad(k, a, dHU, sr))] : grads;
    },
  };
}

export function rnnFused(
  k: CellKernel,
  a: RecurrentLayerArgs,
  x: tf.Tensor2D,
  W: tf.Tensor2D,
  rec: tf.Tensor2D,
  bias: tf.Tensor1D,
  save: Grad,
): FusedLayerResult {
  const { T, B, H } = a;
  const relu = a.activation === 'relu' ? 1 : 0;
  const xw = project(k, a, x, W, bias);
  const hs = k.alloc([(T + 1) * B, H]);
  k.copy(a.initial.h, k.ptr(hs));
  forward(k, a, rec, [xw], H, (up, hr) => {
    const p = [xw, up, hs, hr].map((t) => k.ptr(t));
    k.split('rnn_fwd_seq', B, (r0, r1, prog) => [...p, T, B, r0, r1, H, relu, prog]);
  });
  const out = windowOutput(a, hs);
  save([x, W, rec, hs]);
  return {
    value: out,
    gradFunc: (dy, saved) => {
      const [sx, sW, sr, shs] = saved as tf.Tensor2D[];
      const dA = k.alloc([T * B, H]);
      backward(k, a, sr, dA, H, (s, d, probe, sq) => {
        const p = [shs, dy, s.utp, d, s.dhm, s.zero].map((t) => k.ptr(t));
        k.split('rnn_bwd_seq', B, (r0, r1, prog) => [...p, sq(r0), T, B, r0, r1, H, relu, probe, prog]);
      });
      const g = layerGrads(k, a, sx, sW, shs, dA as tf.Tensor2D, dA as tf.Tensor2D);
      const grads = [g.dx, g.dW, g.dRec, g.dBias];
      return a.initialGrad ? [...grads, initialGrad(k, a, dA, sr)] : grads;
    },
  };
}

/**
 * x W + b for every timestep, [T·B, width]. For the first layer (a.ids set) x is the embedding
 * table [V, E]: the projection is folded into a [V, width] table, E W + b, whose rows are
 * gathered per token. That replaces a [T·B, E]·[E, width] product (and the embedding gather)
 * with a [V, E]·[E, width] one and a row copy; backward, a [E, T·B]·[T·B, width] product
 * (slow on XNNPACK with few rows) becomes a scatter-add into [V, width] and small products.
 */
function project(
  k: CellKernel,
  a: RecurrentLayerArgs,
  x: tf.Tensor2D,
  W: tf.Tensor2D,
  bias: tf.Tensor,
): tf.Tensor2D {
  const xw = tf.add(k.matMul(x, W), bias) as tf.Tensor2D;
  if (!a.ids) return xw;
  const out = k.alloc([a.ids.length, W.shape[1]]) as tf.Tensor2D;
  byToken(k, a.ids, 'gather_rows', xw, out);
  xw.dispose();
  return out;
}

/** out[r] = table[ids[r]] (gather_rows) or table[ids[r]] += rows[r] (scatter_add_rows). */
function byToken(
  k: CellKernel,
  ids: Int32Array,
  op: 'gather_rows' | 'scatter_add_rows',
  src: tf.Tensor,
  dst: tf.Tensor,
): void {
  const t = tf.tensor1d(ids, 'int32');
  k.fn[op](k.ptr(src), k.ptr(t), k.ptr(dst), ids.length, src.shape[1]!);
  t.dispose();
}

/** The layer's output h_1..h_T from hs, and the last step's state (h, and c) to onFinalState. */
function windowOutput(a: RecurrentLayerArgs, hs: tf.Tensor, cs?: tf.Tensor): tf.Tensor2D {
  const { T, B, H } = a;
  const last = (m: tf.Tensor) => tf.keep(tf.slice(m, [T * B, 0], [B, H])) as tf.Tensor2D;
  a.onFinalState?.(cs ? { h: last(hs), c: last(cs) } : { h: last(hs) });
  return tf.slice(hs, [B, 0], [T * B, H]) as tf.Tensor2D;
}

/**
 * A layer's parameter and input gradients from dPre = ∂L/∂(x W + b) and dRecPre = ∂L/∂(h U)
 * (the same tensor for LSTM and RNN), [T·B, width] each: x, W, U (with h_0..h_{T-1}, the first
 * T·B rows of hs) and the input bias (column sums). With a.ids (see project) the input side goes
 * through the [V, width] table. Each right-hand side is packed for the gemm once, and shared
 * when dPre is dRecPre.
 */
function layerGrads(
  k: CellKernel,
  a: RecurrentLayerArgs,
  x: tf.Tensor2D,
  W: tf.Tensor2D,
  hs: tf.Tensor2D,
  dPre: tf.Tensor2D,
  dRecPre: tf.Tensor2D,
): { dx: tf.Tensor; dW: tf.Tensor; dRec: tf.Tensor; dBias: tf.Tensor1D } {
  const width = W.shape[1];
  let d = dPre;
  if (a.ids) {
    d = tf.zeros([x.shape[0], width]);
    byToken(k, a.ids, 'scatter_add_rows', dPre, d);
  }
  const recPacked = k.packed(dRecPre);
  const inPacked = d === dRecPre ? recPacked : k.packed(d);
  const grads = {
    dx: k.matMul(d, W, false, true),
    dW: k.product(x, true, inPacked, width),
    dRec: k.product(tf.slice(hs, [0, 0], [a.T * a.B, a.H]), true, recPacked, width),
    dBias: columnSums(d),
  };
  tf.dispose([recPacked, inPacked]);
  return grads;
}

/**
 * The forward window: `run(up, hr)` calls the cell's window export with U packed for gemm and a
 * [B, width] scratch for h_{t-1} U. Disposes those and `done` (the window's inputs) afterwards.
 */
function forward(
  k: CellKernel,
  a: RecurrentLayerArgs,
  rec: tf.Tensor2D,
  done: tf.Tensor[],
  width: number,
  run: (up: tf.Tensor, hr: tf.Tensor) => void,
): void {
  const up = k.packed(rec);
  const hr = k.alloc([a.B, width]);
  run(up, hr);
  tf.dispose([up, hr, ...done]);
}

/** Scratch of a backward window, [B, H] each except utp (Uᵀ packed); a thread uses its own rows. */
interface BackScratch {
  utp: tf.Tensor;
  dhm: tf.Tensor;
  carry: tf.Tensor;
  zero: tf.Tensor;
}

/**
 * ∂L/∂h_0 through the recurrent product: the first step's recurrent pre-activation gradients
 * times Uᵀ (the kernel skips that product at step 0, having no earlier step to carry it to).
 */
function initialGrad(k: CellKernel, a: RecurrentLayerArgs, dRecPre: tf.Tensor, rec: tf.Tensor2D): tf.Tensor {
  const first = tf.slice(dRecPre, [0, 0], [a.B, dRecPre.shape[1]!]);
  const out = k.matMul(first, rec, false, true);
  first.dispose();
  return out;
}

/**
 * The backward window: `run(scratch, d, probe, sq)` calls the cell's window export, which writes
 * the recurrent pre-activation gradients to `d` ([T·B, width], the window's) and carries d·Uᵀ
 * back step by step. On recorded steps it runs again as the probe, ‖∂L_T/∂h_t‖ (see probeBack in
 * layers.ts): only the last step's dy enters, d is a [B, width] scratch, and each thread writes
 * its rows' sum of squares per step to `sq(r0)`.
 */
function backward(
  k: CellKernel,
  a: RecurrentLayerArgs,
  rec: tf.Tensor2D,
  d: tf.Tensor,
  width: number,
  run: (s: BackScratch, d: tf.Tensor, probe: 0 | 1, sq: (r0: number) => number) => void,
): tf.Tensor | undefined {
  const { T, B, H } = a;
  const s: BackScratch = {
    utp: k.packed(rec, true),
    dhm: k.alloc([B, H]),
    carry: k.alloc([B, H]),
    zero: k.alloc([B, H]),
  };
  run(s, d, 0, () => 0);
  // After step 0 the carry holds the LSTM's ∂L/∂c_0 (GRU: the direct part of ∂L/∂h_0); a copy,
  // since the probe below reuses the scratch in place.
  let carry: tf.Tensor | undefined;
  if (a.initialGrad) {
    carry = k.alloc([B, H]);
    k.copy(s.carry, k.ptr(carry));
  }
  if (a.recorder) {
    const scratch = k.alloc([B, width]);
    const sq = tf.zeros([2, T]);
    const at = k.ptr(sq);
    run(s, scratch, 1, (r0) => (r0 === 0 ? at : at + T * 4));
    const v = k.floats(at, 2 * T);
    for (let t = 0; t < T; t++) record(a, t, v[t] + v[T + t]);
    tf.dispose([scratch, sq]);
  }
  tf.dispose([s.utp, s.dhm, s.carry, s.zero]);
  return carry;
}

/**
 * Sums over rows (a bias gradient). On wasm, Sum along axis 0 of a [2048, 1024] tensor took
 * 18 ms, and ones[1, N]·m through XNNPACK ~10 ms in training (it packs m, new every step, on each
 * call); the cell kernel's col_sums takes well under a millisecond. Other backends and widths
 * take the product.
 */
export function columnSums(m: tf.Tensor): tf.Tensor1D {
  const [rows, cols] = m.shape as [number, number];
  const k = cols % 4 === 0 ? cellKernel() : null;
  if (!k) return tf.reshape(tf.matMul(tf.ones([1, rows]), m as tf.Tensor2D), [cols]);
  const out = k.alloc([cols]) as tf.Tensor1D;
  k.fn.col_sums(k.ptr(m), k.ptr(out), rows, cols);
  return out;
}
