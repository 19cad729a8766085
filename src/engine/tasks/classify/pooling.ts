import * as tf from '@tensorflow/tfjs';
import type { Pooling } from './spec';

/**
 * Masks of a right-padded, time-major batch as [T·B, 1] floats: `valid` is 1 where t < length,
 * `last` 1 at t = length − 1, `first` 1 at t = 0.
 */
export function masks(
  lengths: number[],
  T: number,
): { valid: Float32Array; last: Float32Array; first: Float32Array } {
  const B = lengths.length;
  const valid = new Float32Array(T * B);
  const last = new Float32Array(T * B);
  const first = new Float32Array(T * B);
  lengths.forEach((L, b) => {
    for (let t = 0; t < L; t++) valid[t * B + b] = 1;
    last[(L - 1) * B + b] = 1;
    first[b] = 1;
  });
  return { valid, last, first };
}

const NEG = -1e9;

/**
 * Pools features X [T·B, D] over each example's valid positions into [B, D]. Padding enters only
 * multiplied by zero or offset by −1e9 (whose exponential and maximum are exactly nothing), so the
 * result and its gradients do not depend on how far a batch is padded. For a bidirectional
 * encoder `split` = H: the backward half's "last" state is at t = 0.
 */
export function pool(
  kind: Pooling,
  X: tf.Tensor2D,
  lengths: number[],
  T: number,
  query: tf.Tensor | undefined,
  split?: number,
): tf.Tensor2D {
  const B = lengths.length;
  const D = X.shape[1];
  const m = masks(lengths, T);
  const X3 = tf.reshape(X, [T, B, D]);
  const col = (a: Float32Array) => tf.tensor3d(a, [T, B, 1]);
  switch (kind) {
    case 'last': {
      if (split === undefined) return tf.sum(tf.mul(X3, col(m.last)), 0) as tf.Tensor2D;
      const fwd = tf.sum(tf.mul(tf.slice(X3, [0, 0, 0], [T, B, split]), col(m.last)), 0);
      const bwd = tf.sum(tf.mul(tf.slice(X3, [0, 0, split], [T, B, D - split]), col(m.first)), 0);
      return tf.concat([fwd, bwd], 1) as tf.Tensor2D;
    }
    case 'mean': {
      const len = tf.tensor2d(lengths, [B, 1]);
      return tf.div(tf.sum(tf.mul(X3, col(m.valid)), 0), len) as tf.Tensor2D;
    }
    case 'max': {
      const offset = col(m.valid.map((v) => (v ? 0 : NEG)));
      return tf.max(tf.add(X3, offset), 0) as tf.Tensor2D;
    }
    case 'attention': {
      if (!query) throw new Error('attention pooling needs its query vector');
      // score_t = h_t · q over valid positions; softmax over time; weighted sum of h_t.
      const scores = tf.reshape(tf.matMul(X, tf.reshape(query, [D, 1])), [T, B]);
      const offset = tf.tensor2d(
        m.valid.map((v) => (v ? 0 : NEG)),
        [T, B],
      );
      const alpha = tf.softmax(tf.transpose(tf.add(scores, offset)), -1); // [B, T]
      return tf.sum(tf.mul(X3, tf.reshape(tf.transpose(alpha), [T, B, 1])), 0) as tf.Tensor2D;
    }
  }
}
