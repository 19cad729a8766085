import * as tf from '@tensorflow/tfjs';
import type { CellKernel } from './cellKernel';
import { columnSums } from './fusedLayers';

/**
 * model/heads.ts' softmaxCrossEntropy, forward and backward on the wasm backend: after the logits product, one
 * kernel pass per row (cellKernel.wat's softmax_xent) gives the loss terms and the closed-form
 * gradient (softmax − onehot)/N, which is saved; backward only scales it by dy.
 */
export function fusedHead(
  k: CellKernel,
  labels: Int32Array,
  h: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  save: tf.GradSaveFunc,
): { value: tf.Scalar; gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => tf.Tensor[] } {
  const [N, V] = [h.shape[0], w.shape[1]];
  const logits = k.matMul(h, w);
  const d = k.alloc([N, V]);
  const stats = k.alloc([N, 2]);
  const ids = tf.tensor1d(labels, 'int32');
  k.fn.softmax_xent(k.ptr(logits), k.ptr(b), k.ptr(ids), k.ptr(d), k.ptr(stats), N, V, 1 / N);
  const s = k.floats(k.ptr(stats), 2 * N);
  let sum = 0;
  for (let r = 0; r < N; r++) sum += Math.log(s[2 * r]) + s[2 * r + 1];
  tf.dispose([logits, stats, ids]);
  save([h, w, d]);
  return {
    value: tf.scalar(sum / N),
    gradFunc: savedGradient(k),
  };
}

/**
 * The backward pass of a fused head that saved [h, w, dLogits/dy]: the logits' gradient scaled by
 * dy, then the products back to h and w and the column sums for the bias.
 */
export function savedGradient(k: CellKernel): (dy: tf.Scalar, saved: tf.Tensor[]) => tf.Tensor[] {
  return (dy, saved) => {
    const [sh, sw, sd] = saved as tf.Tensor2D[];
    const dLogits = tf.mul(sd, dy) as tf.Tensor2D;
    return [k.matMul(dLogits, sw, false, true), k.matMul(sh, dLogits, true), columnSums(dLogits)];
  };
}
