import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../config';
import type { Weights } from '../model/shapes';
import { stateAfter, type ModelTrace } from './trace';

/** How many earlier tokens saliency looks back over (the cost grows with it, both ways). */
export const SALIENCY_WINDOW = 200;

export interface Saliency {
  /** The position whose token is predicted. */
  target: number;
  /** First input position covered; inputs before it are outside the window. */
  from: number;
  /** ‖∂ log p(token target) / ∂ x_t‖ for t = from … target−1, where x_t is input t's embedding. */
  norms: Float32Array;
}

/**
 * Saliency of the prediction of token `target` (made after reading tokens < target): the gradient
 * norm of its log probability with respect to each earlier input embedding, which shows how far
 * back the model looks. The forward pass runs as plain TF.js ops, one per step, so that TF.js'
 * autodiff differentiates it: no hand-written backward pass to get wrong, and a window of a few
 * hundred steps is cheap. The window starts from the trace's recorded state, held constant.
 */
export function saliency(
  trace: ModelTrace,
  weights: Weights,
  target: number,
  window = SALIENCY_WINDOW,
): Saliency {
  const c = trace.config;
  if (target < 1 || target >= trace.tokens.length)
    return { target, from: target, norms: new Float32Array(0) };
  const from = Math.max(0, target - window);
  const inputs = trace.tokens.subarray(from, target);
  const s0 = stateAfter(trace, from - 1);
  const norms = tf.tidy(() => {
    const w = tensors(c, weights);
    const x0 = tf.gather(w.emb, tf.tensor1d(Array.from(inputs), 'int32')) as tf.Tensor2D;
    const h0 = s0.h.map((h) => tf.tensor2d(h, [1, c.hidden]));
    const c0 = s0.c.map((v) => tf.tensor2d(v, [1, c.hidden]));
    const logp = (x: tf.Tensor): tf.Scalar => {
      const top = forward(c, w, x as tf.Tensor2D, h0, c0);
      const logits = top.matMul(w.outK).add(w.outB);
      // A slice, not a gather: gather's gradient has no kernel in the wasm backend.
      return tf.logSoftmax(logits).reshape([-1]).slice([trace.tokens[target]], [1]).reshape([]) as tf.Scalar;
    };
    const g = tf.grad(logp)(x0) as tf.Tensor2D;
    return g.square().sum(1).sqrt().dataSync() as Float32Array;
  });
  return { target, from, norms: Float32Array.from(norms) };
}

interface LayerTensors {
  kx: tf.Tensor2D;
  kh: tf.Tensor2D;
  bIn: tf.Tensor1D;
  bRec?: tf.Tensor1D;
}

function tensors(c: ModelConfig, weights: Weights) {
  const t2 = (name: string): tf.Tensor2D => {
    const w = weights.get(name)!;
    return tf.tensor2d(w.data, [w.shape[0], w.shape[1]]);
  };
  const GH = (c.cell === 'lstm' ? 4 : c.cell === 'gru' ? 3 : 1) * c.hidden;
  const layers: LayerTensors[] = [];
  for (let l = 0; l < c.layers; l++) {
    const b = weights.get(`layer_${l}/bias`)!.data;
    layers.push({
      kx: t2(`layer_${l}/kernel`),
      kh: t2(`layer_${l}/recurrent_kernel`),
      bIn: tf.tensor1d(b.subarray(0, GH)),
      bRec: c.cell === 'gru' ? tf.tensor1d(b.subarray(GH, 2 * GH)) : undefined,
    });
  }
  return {
    emb: t2('embedding'),
    layers,
    outK: t2('output/kernel'),
    outB: tf.tensor1d(weights.get('output/bias')!.data),
  };
}

/** The top layer's h after the last input, from states h0/c0, one op per step. */
function forward(
  c: ModelConfig,
  w: ReturnType<typeof tensors>,
  x: tf.Tensor2D,
  h0: tf.Tensor2D[],
  c0: tf.Tensor2D[],
): tf.Tensor2D {
  const T = x.shape[0];
  let below: tf.Tensor2D = x;
  let last: tf.Tensor2D = h0[0];
  for (let l = 0; l < c.layers; l++) {
    const { kx, kh, bIn, bRec } = w.layers[l];
    // Input projections of the whole window in one product; only the recurrence is per step.
    const zxs = tf.split(below.matMul(kx).add(bIn), T, 0);
    let h = h0[l];
    let cs = c0[l];
    const out: tf.Tensor2D[] = [];
    for (const zx of zxs) {
      const zh = bRec ? h.matMul(kh).add(bRec) : h.matMul(kh);
      if (c.cell === 'lstm') {
        const [i, f, g, o] = tf.split(zx.add(zh), 4, 1);
        cs = f.sigmoid().mul(cs).add(i.sigmoid().mul(g.tanh()));
        h = o.sigmoid().mul(cs.tanh());
      } else if (c.cell === 'gru') {
        const [xz, xr, xn] = tf.split(zx, 3, 1);
        const [hz, hr, hn] = tf.split(zh, 3, 1);
        const z = xz.add(hz).sigmoid();
        const r = xr.add(hr).sigmoid();
        const n = xn.add(r.mul(hn)).tanh();
        h = n.add(z.mul(h.sub(n)));
      } else {
        const a = zx.add(zh);
        h = (c.activation === 'relu' ? a.relu() : a.tanh()) as tf.Tensor2D;
      }
      out.push(h);
    }
    below = tf.concat(out, 0);
    last = h;
  }
  return last;
}
