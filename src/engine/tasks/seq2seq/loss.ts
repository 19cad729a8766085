import * as tf from '@tensorflow/tfjs';
import { cellKernel } from '../../wasm/cellKernel';
import { fusedSmoothedHead } from '../../wasm/fusedSmoothedHead';

/**
 * Output projection and label-smoothed cross-entropy over the target tokens, padding masked:
 * targets[i] < 0 marks padding, which neither counts nor gets a gradient. The smoothed target
 * puts 1 − ε on the token and ε spread evenly over the vocabulary. Returns the mean over real
 * tokens; the gradient is the closed form (softmax − target)·mask / count. On the wasm backend the
 * same math runs as one kernel pass over the logits (wasm/fusedSmoothedHead.ts); the TF.js ops
 * below are the reference it is tested against.
 */
export function smoothedCrossEntropy(
  targets: Int32Array,
  vocab: number,
  epsilon: number,
): (h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Scalar {
  const N = targets.length;
  const real = targets.reduce((a, t) => a + (t >= 0 ? 1 : 0), 0);
  const count = Math.max(1, real);
  const fn = tf.customGrad(((h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const k = cellKernel();
    if (k && targets.every((t) => t < vocab))
      return fusedSmoothedHead(k, targets, epsilon, count, h, w, b, save);
    const q = new Float32Array(N * vocab);
    for (let i = 0; i < N; i++) {
      if (targets[i] < 0) continue;
      const row = i * vocab;
      if (epsilon > 0) q.fill(epsilon / vocab, row, row + vocab);
      q[row + targets[i]] += 1 - epsilon;
    }
    const logits = tf.add(tf.matMul(h, w), b) as tf.Tensor2D;
    const logp = tf.logSoftmax(logits);
    const qt = tf.tensor2d(q, [N, vocab]);
    const loss = tf.div(tf.neg(tf.sum(tf.mul(logp, qt))), count) as tf.Scalar;
    const mask = tf.tensor2d(
      Float32Array.from(targets, (t) => (t >= 0 ? 1 : 0)),
      [N, 1],
    );
    save([h, w, tf.exp(logp), qt, mask]);
    return {
      value: loss,
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const [sh, sw, p, st, sm] = saved as tf.Tensor2D[];
        const dLogits = tf.mul(tf.mul(tf.sub(p, st), sm), tf.div(dy, count)) as tf.Tensor2D;
        return [
          tf.matMul(dLogits, tf.transpose(sw)),
          tf.matMul(tf.transpose(sh), dLogits),
          tf.sum(dLogits, 0),
        ];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return fn as unknown as (h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Scalar;
}
