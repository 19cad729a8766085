import * as tf from '@tensorflow/tfjs';
import type { Activation, CellKind } from '../../src/engine/config';

/**
 * The same recurrent layers written as plain per-step TF.js ops with no custom gradient, so that
 * TF.js autodiff differentiates them independently of the hand-written BPTT.
 */
export function referenceLayer(
  cell: CellKind,
  activation: Activation,
  T: number,
  B: number,
  H: number,
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  rec: tf.Tensor2D,
  bias: tf.Tensor,
  h0: tf.Tensor2D,
  c0?: tf.Tensor2D,
): tf.Tensor2D {
  let h: tf.Tensor2D = h0;
  let c: tf.Tensor | undefined = c0;
  const hs: tf.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const xt = x.slice([t * B, 0], [B, x.shape[1]]);
    if (cell === 'lstm') {
      const z = xt.matMul(kernel).add(h.matMul(rec)).add(bias) as tf.Tensor2D;
      const i = z.slice([0, 0], [B, H]).sigmoid();
      const f = z.slice([0, H], [B, H]).sigmoid();
      const g = z.slice([0, 2 * H], [B, H]).tanh();
      const o = z.slice([0, 3 * H], [B, H]).sigmoid();
      c = f.mul(c!).add(i.mul(g));
      h = o.mul(c!.tanh()) as tf.Tensor2D;
    } else if (cell === 'gru') {
      const bIn = bias.slice([0, 0], [1, 3 * H]).reshape([3 * H]);
      const bRec = bias.slice([1, 0], [1, 3 * H]).reshape([3 * H]);
      const xw = xt.matMul(kernel).add(bIn) as tf.Tensor2D;
      const hu = h.matMul(rec).add(bRec) as tf.Tensor2D;
      const z = xw
        .slice([0, 0], [B, H])
        .add(hu.slice([0, 0], [B, H]))
        .sigmoid();
      const r = xw
        .slice([0, H], [B, H])
        .add(hu.slice([0, H], [B, H]))
        .sigmoid();
      const n = xw
        .slice([0, 2 * H], [B, H])
        .add(r.mul(hu.slice([0, 2 * H], [B, H])))
        .tanh();
      h = z.mul(h).add(tf.scalar(1).sub(z).mul(n)) as tf.Tensor2D;
    } else {
      const a = xt.matMul(kernel).add(h.matMul(rec)).add(bias);
      h = (activation === 'relu' ? a.relu() : a.tanh()) as tf.Tensor2D;
    }
    hs.push(h);
  }
  return tf.concat(hs, 0) as tf.Tensor2D;
}

/** Random inputs, weights, initial state and a loss-weighting tensor for one layer's tests. */
export function randomLayerInputs(cell: CellKind, T: number, B: number, H: number, In: number, seed: number) {
  const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
  return {
    x: tf.randomNormal([T * B, In], 0, 1, 'float32', seed) as tf.Tensor2D,
    k: tf.randomNormal([In, G * H], 0, 0.5, 'float32', seed + 1) as tf.Tensor2D,
    r: tf.randomNormal([H, G * H], 0, 0.5, 'float32', seed + 2) as tf.Tensor2D,
    b: tf.randomNormal(cell === 'gru' ? [2, G * H] : [G * H], 0, 0.5, 'float32', seed + 3),
    h0: tf.randomNormal([B, H], 0, 0.5, 'float32', seed + 4) as tf.Tensor2D,
    c0: tf.randomNormal([B, H], 0, 0.5, 'float32', seed + 5) as tf.Tensor2D,
    R: tf.randomNormal([T * B, H], 0, 1, 'float32', seed + 6),
  };
}

/** Every cell and activation the layer tests cover. */
export const CELL_CASES: [CellKind, 'tanh' | 'relu'][] = [
  ['lstm', 'tanh'],
  ['gru', 'tanh'],
  ['rnn', 'tanh'],
  ['rnn', 'relu'],
];
