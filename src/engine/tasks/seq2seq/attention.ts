import * as tf from '@tensorflow/tfjs';
import { contextProduct, kernelProduct, scoresProduct } from '../../wasm/kernelProduct';
import type { AttentionKind } from './options';

export interface AttentionParams {
  /** Luong general: W [H, H]. */
  kernel?: tf.Tensor2D;
  /** Bahdanau: query and key projections [H, H] and v [H]. */
  query?: tf.Tensor2D;
  key?: tf.Tensor2D;
  v?: tf.Tensor1D;
  /** h̃ = tanh([context; h] W_c), W_c [2H, H] (Luong's attentional hidden state). */
  output: tf.Tensor2D;
}

export interface AttentionResult {
  /** h̃ [B, T, H]: what the output projection reads. */
  attended: tf.Tensor3D;
  /** α [B, T, S]: each output step's weights over the source (0 on padding). */
  weights: tf.Tensor3D;
}

/**
 * Global attention of decoder outputs q [B, T, H] over encoder outputs m [B, S, H], with
 * padding masked by `bias` [B, 1, S] (0 or −1e9). Scores: Luong dot q·k, general q W k,
 * or Bahdanau's additive vᵀ tanh(q W_q + k W_k); then α = softmax, context = α m, and
 * h̃ = tanh([context; q] W_c).
 */
export function attend(
  kind: AttentionKind,
  score: 'general' | 'dot',
  p: AttentionParams,
  q: tf.Tensor3D,
  m: tf.Tensor3D,
  bias: tf.Tensor3D,
): AttentionResult {
  const [B, T, H] = q.shape;
  const S = m.shape[1];
  let scores: tf.Tensor3D;
  if (kind === 'bahdanau') {
    const qp = tf.reshape(kernelProduct(tf.reshape(q, [B * T, H]), p.query!), [B, T, 1, H]);
    const kp = tf.reshape(kernelProduct(tf.reshape(m, [B * S, H]), p.key!), [B, 1, S, H]);
    const e = tf.tanh(tf.add(qp, kp)) as tf.Tensor4D;
    scores = tf.reshape(tf.matMul(tf.reshape(e, [B * T * S, H]), tf.reshape(p.v!, [H, 1])), [B, T, S]);
  } else {
    const qk: tf.Tensor3D =
      score === 'general' ? tf.reshape(kernelProduct(tf.reshape(q, [B * T, H]), p.kernel!), [B, T, H]) : q;
    scores = scoresProduct(qk, m);
  }
  const weights = tf.softmax(tf.add(scores, bias)) as tf.Tensor3D;
  const context = contextProduct(weights, m);
  const both = tf.reshape(tf.concat([context, q], 2), [B * T, 2 * H]) as tf.Tensor2D;
  const attended = tf.reshape(tf.tanh(kernelProduct(both, p.output)), [B, T, H]) as tf.Tensor3D;
  return { attended, weights };
}
