import * as tf from '@tensorflow/tfjs';
import { gateCount, type Weights } from '../model/shapes';
import type { ModelTrace } from './trace';

/** The gates of each cell kind, in the kernels' stacking order (RNN has none). */
export function gateNames(cell: ModelTrace['config']['cell']): string[] {
  return cell === 'lstm'
    ? ['input', 'forget', 'cell', 'output']
    : cell === 'gru'
      ? ['update', 'reset', 'new']
      : [];
}

/** Gates that are sigmoids, whose saturation the paper plots (not LSTM's tanh candidate, not GRU's n). */
export function sigmoidGates(cell: ModelTrace['config']['cell']): number[] {
  return cell === 'lstm' ? [0, 1, 3] : cell === 'gru' ? [0, 1] : [];
}

/**
 * Gate activations of layer `l` at every position, as a [n, G·H] tensor (gate blocks as in the
 * kernels), recomputed from the trace: the gates depend only on the layer's input at t and its
 * h at t−1, both of which the trace holds, so all positions are two matrix products (TF.js'
 * GEMM) instead of a recurrence. Done on demand: most inspections never look at gates.
 */
function gateTensor(trace: ModelTrace, weights: Weights, l: number): tf.Tensor2D {
  const { cell, hidden: H } = trace.config;
  const G = gateCount(cell);
  const GH = G * H;
  const n = trace.tokens.length;
  const get = (name: string) => {
    const w = weights.get(name);
    if (!w) throw new Error(`missing weight ${name}`);
    return w;
  };
  return tf.tidy(() => {
    const t2 = (name: string) => {
      const w = get(name);
      return tf.tensor2d(w.data, [w.shape[0], w.shape[1]]);
    };
    const bias = get(`layer_${l}/bias`).data;
    const x =
      l === 0
        ? tf.gather(t2('embedding'), tf.tensor1d(trace.tokens, 'int32'))
        : tf.tensor2d(trace.hidden[l - 1], [n, H]);
    const hPrev = new Float32Array(n * H);
    hPrev.set(trace.hidden[l].subarray(0, (n - 1) * H), H);
    const zx = x.matMul(t2(`layer_${l}/kernel`)).add(tf.tensor1d(bias.subarray(0, GH)));
    let zh = tf.tensor2d(hPrev, [n, H]).matMul(t2(`layer_${l}/recurrent_kernel`));
    if (cell === 'gru') zh = zh.add(tf.tensor1d(bias.subarray(GH, 2 * GH)));
    if (cell === 'lstm') {
      const [i, f, g, o] = tf.split(zx.add(zh), 4, 1);
      return tf.concat([i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()], 1) as tf.Tensor2D;
    }
    if (cell === 'gru') {
      const [xz, xr, xn] = tf.split(zx, 3, 1);
      const [hz, hr, hn] = tf.split(zh, 3, 1);
      const r = xr.add(hr).sigmoid();
      return tf.concat([xz.add(hz).sigmoid(), r, xn.add(r.mul(hn)).tanh()], 1) as tf.Tensor2D;
    }
    return zx.add(zh) as tf.Tensor2D;
  });
}

/** Gate activations of layer `l`, [n × G × H]; see gateTensor. Needs a TF.js backend. */
export function gateActivations(trace: ModelTrace, weights: Weights, l: number): Float32Array {
  const t = gateTensor(trace, weights, l);
  try {
    return t.dataSync() as Float32Array;
  } finally {
    t.dispose();
  }
}

export interface GateSaturation {
  layer: number;
  gate: string;
  /** Per unit: the fraction of positions with the gate below 0.1 (left) and above 0.9 (right). */
  left: number[];
  right: number[];
}

/** Karpathy et al.'s saturation statistics: per layer and sigmoid gate, one point per unit. */
export function gateSaturation(trace: ModelTrace, weights: Weights): GateSaturation[] {
  const { cell, hidden: H, layers } = trace.config;
  const names = gateNames(cell);
  const gates = sigmoidGates(cell);
  const out: GateSaturation[] = [];
  for (let l = 0; l < layers && gates.length; l++) {
    // Counted on the backend: only 2·H numbers per gate come back, not n·G·H activations.
    const fractions = tf.tidy(() => {
      const a = gateTensor(trace, weights, l);
      return gates.map((g) => {
        const block = a.slice([0, g * H], [-1, H]);
        return [block.less(0.1).cast('float32').mean(0), block.greater(0.9).cast('float32').mean(0)];
      });
    });
    gates.forEach((g, k) => {
      const [left, right] = fractions[k].map((t) => Array.from(t.dataSync()));
      out.push({ layer: l, gate: names[g], left, right });
    });
    fractions.flat().forEach((t) => t.dispose());
  }
  return out;
}
