import * as tf from '@tensorflow/tfjs';
import { cellKernel } from './cellKernel';

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

/**
 * Batched a·b for a [B, M, K] and b [B, K, N] (attention's scores and context) whose gradient
 * transposes explicitly, dy·bᵀ and aᵀ·dy as plain batched products: the wasm backend's batched
 * matMul with a transposed operand, which autodiff of tf.matMul asks for, is a slow path.
 */
export function batchedProduct(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  if (!cellKernel()) return tf.matMul(a, b);
  return batchedWithGrad(a, b);
}

const batchedWithGrad = tf.customGrad(((a: tf.Tensor3D, b: tf.Tensor3D, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor3D[];
      return [tf.matMul(dy, tf.transpose(sb, [0, 2, 1])), tf.matMul(tf.transpose(sa, [0, 2, 1]), dy)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (
  a: tf.Tensor3D,
  b: tf.Tensor3D,
) => tf.Tensor3D;
