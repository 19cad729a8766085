import * as tf from '@tensorflow/tfjs';
import { cellKernel, type CellKernel } from './cellKernel';

/**
 * x·w for x [M, K] and w [K, N], both ways on the training kernel's gemm when there is one: the
 * gradient's xᵀ·dy and dy·wᵀ read their transposed operand in place, where TF.js autodiff of
 * tf.matMul takes the wasm backend's transposed-operand path (about 1 GFLOP/s; on the translator's
 * attention products it was a third of a training step). Elsewhere plain tf.matMul.
 */
export function kernelProduct(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  if (!cellKernel()) return tf.matMul(x, w);
  return productWithGrad(x, w);
}

const productWithGrad = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
  const k = cellKernel()!;
  save([x, w]);
  return {
    value: k.matMul(x, w),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as tf.Tensor2D[];
      return [k.matMul(dy, sw, false, true), k.matMul(sx, dy, true)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (
  x: tf.Tensor2D,
  w: tf.Tensor2D,
) => tf.Tensor2D;

type Grad3 = { value: tf.Tensor3D; gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) => tf.Tensor[] };

/** A [nb, M, N] float tensor from the kernel's batched product `run(out)`. */
function batched(k: CellKernel, shape: [number, number, number], run: (out: number) => void): tf.Tensor3D {
  const out = k.alloc(shape) as tf.Tensor3D;
  run(k.ptr(out));
  return out;
}

/**
 * Attention scores q·mᵀ for q [B, T, H] and m [B, S, H] → [B, T, S], both ways on the kernel's
 * batched products (cellKernel.wat's bmm_abt and bmm_ab) when there is one and H is a multiple of
 * 4; else TF.js with an explicit transpose (the wasm batched matMul's transposed-operand path, which
 * autodiff would also take, is slow).
 */
export function scoresProduct(q: tf.Tensor3D, m: tf.Tensor3D): tf.Tensor3D {
  if (!cellKernel() || q.shape[2] % 4 !== 0) return tf.matMul(q, tf.transpose(m, [0, 2, 1]) as tf.Tensor3D);
  return scoresWithGrad(q, m);
}

const scoresWithGrad = tf.customGrad(((q: tf.Tensor3D, m: tf.Tensor3D, save: tf.GradSaveFunc): Grad3 => {
  const k = cellKernel()!;
  const [B, T, H] = q.shape;
  const S = m.shape[1];
  save([q, m]);
  return {
    value: batched(k, [B, T, S], (out) => k.fn.bmm_abt(k.ptr(q), k.ptr(m), out, B, T, S, H)),
    gradFunc: (dy, saved) => {
      const [sq, sm] = saved as tf.Tensor3D[];
      const [pd, pq, pm] = [k.ptr(dy), k.ptr(sq), k.ptr(sm)];
      return [
        batched(k, [B, T, H], (out) => k.fn.bmm_ab(pd, pm, out, B, T, S, H, 0)),
        batched(k, [B, S, H], (out) => k.fn.bmm_ab(pd, pq, out, B, S, T, H, 1)),
      ];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (
  q: tf.Tensor3D,
  m: tf.Tensor3D,
) => tf.Tensor3D;

/** Attention context α·m for α [B, T, S] and m [B, S, H] → [B, T, H] (see scoresProduct). */
export function contextProduct(alpha: tf.Tensor3D, m: tf.Tensor3D): tf.Tensor3D {
  if (!cellKernel() || m.shape[2] % 4 !== 0) return tf.matMul(alpha, m);
  return contextWithGrad(alpha, m);
}

const contextWithGrad = tf.customGrad(((a: tf.Tensor3D, m: tf.Tensor3D, save: tf.GradSaveFunc): Grad3 => {
  const k = cellKernel()!;
  const [B, T, S] = a.shape;
  const H = m.shape[2];
  save([a, m]);
  return {
    value: batched(k, [B, T, H], (out) => k.fn.bmm_ab(k.ptr(a), k.ptr(m), out, B, T, S, H, 0)),
    gradFunc: (dy, saved) => {
      const [sa, sm] = saved as tf.Tensor3D[];
      const [pd, pa, pm] = [k.ptr(dy), k.ptr(sa), k.ptr(sm)];
      return [
        batched(k, [B, T, S], (out) => k.fn.bmm_abt(pd, pm, out, B, T, S, H)),
        batched(k, [B, S, H], (out) => k.fn.bmm_ab(pa, pd, out, B, S, T, H, 1)),
      ];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (
  alpha: tf.Tensor3D,
  m: tf.Tensor3D,
) => tf.Tensor3D;
