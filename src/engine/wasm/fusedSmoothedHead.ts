import * as tf from '@tensorflow/tfjs';
import type { CellKernel } from './cellKernel';
import { savedGradient } from './fusedHead';

/**
 * tasks/seq2seq/loss.ts' label-smoothed, padding-masked cross-entropy on the wasm backend: the
 * logits product on the kernel's gemm, then one kernel pass per row (cellKernel.wat's
 * softmax_xent_smooth) gives each row's loss terms and the closed-form gradient
 * (softmax − smoothed target)·mask / count, which is saved; backward only scales it by dy.
 * Targets < 0 mark padding. `count` is the number of real targets (at least 1).
 */
export function fusedSmoothedHead(
  k: CellKernel,
  targets: Int32Array,
  epsilon: number,
  count: number,
  h: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  save: tf.GradSaveFunc,
): { value: tf.Scalar; gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => tf.Tensor[] } {
  const [N, V] = [h.shape[0], w.shape[1]];
  const logits = k.matMul(h, w);
  const d = k.alloc([N, V]);
  const stats = k.alloc([N, 3]);
  const ids = tf.tensor1d(targets, 'int32');
  k.fn.softmax_xent_smooth(
    k.ptr(logits),
    k.ptr(b),
    k.ptr(ids),
    k.ptr(d),
    k.ptr(stats),
    N,
    V,
    1 / count,
    epsilon,
  );
  const s = k.floats(k.ptr(stats), 3 * N);
  let sum = 0;
  for (let r = 0; r < N; r++)
    sum += Math.log(s[3 * r]) + (1 - epsilon) * s[3 * r + 1] + epsilon * s[3 * r + 2];
  tf.dispose([logits, stats, ids]);
  save([h, w, d]);
  return {
    value: tf.scalar(sum / count),
    gradFunc: savedGradient(k),
  };
}
