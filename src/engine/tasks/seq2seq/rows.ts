import * as tf from '@tensorflow/tfjs';
import { embeddingLookup } from '../../model/heads';

/**
 * rows[idx[i]] for each i, with a scatter-add gradient in JS (tf.gather's gradient needs
 * UnsortedSegmentSum, which the wasm backend lacks). `n` is the number of rows of the input.
 */
export function gatherRows(m: tf.Tensor2D, idx: Int32Array): tf.Tensor2D {
  return embeddingLookup(idx, m.shape[0])(m);
}

/**
 * Time-major rows (t·B + b) with each sequence's first `len[b]` steps reversed in place and the
 * padding after them left where it is: the backward direction of a bidirectional layer then reads
 * real tokens first, so padding never reaches a real position. The map is its own inverse.
 */
export function reverseWithinLengths(len: Int32Array, S: number, B: number): Int32Array {
  const idx = new Int32Array(S * B);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < S; t++) idx[t * B + b] = (t < len[b] ? len[b] - 1 - t : t) * B + b;
  return idx;
}

/** The row of each sequence's last real step, (len[b] − 1)·B + b. */
export function lastRows(len: Int32Array, B: number): Int32Array {
  return Int32Array.from(len, (l, b) => (l - 1) * B + b);
}

/** [B, 1, S]: 0 on real source positions, −1e9 on padding, added to attention scores. */
export function paddingBias(len: Int32Array, S: number): tf.Tensor3D {
  const B = len.length;
  const d = new Float32Array(B * S);
  for (let b = 0; b < B; b++) for (let s = len[b]; s < S; s++) d[b * S + s] = -1e9;
  return tf.tensor3d(d, [B, 1, S]);
}

/** Time-major [T·B, D] → batch-major [B, T, D]. */
export function toBatchMajor(x: tf.Tensor2D, T: number, B: number): tf.Tensor3D {
  return tf.transpose(tf.reshape(x, [T, B, x.shape[1]]), [1, 0, 2]);
}

/** Batch-major [B, T, D] → time-major [T·B, D]. */
export function toTimeMajor(x: tf.Tensor3D): tf.Tensor2D {
  const [B, T, D] = x.shape;
  return tf.reshape(tf.transpose(x, [1, 0, 2]), [T * B, D]);
}
