import * as tf from '@tensorflow/tfjs';
import type { Activation, CellKind } from '../../config';
import type { LayerState } from '../../model/layers';
import { hash32 } from '../../rng';
import { attend, type AttentionParams, type AttentionResult } from './attention';
import type { AttentionKind } from './options';

/** What the input-feeding decoder needs from the model (its weights and attention). */
export interface FeedingDecoder {
  cell: CellKind;
  activation: Activation;
  hidden: number;
  layers: number;
  dropout: number;
  attention: AttentionKind;
  score: 'general' | 'dot';
  p(name: string): tf.Tensor;
  attentionParams(): AttentionParams;
}

/**
 * One step of a recurrent layer in plain TF.js ops, so autodiff carries the gradient through the
 * states from step to step (the whole-sequence layers return their final state without one). Gates
 * and bias layouts are those of model/layers.ts: LSTM i, f, g, o; GRU z, r, n with reset after the
 * recurrent product and bias [2, 3H]. `xw` is the step's input projection without the bias.
 */
export function cellStep(
  cell: CellKind,
  activation: Activation,
  xw: tf.Tensor2D,
  state: LayerState,
  rec: tf.Tensor2D,
  bias: tf.Tensor,
): LayerState {
  const H = state.h.shape[1];
  const cols = (m: tf.Tensor2D, start: number, n: number) =>
    tf.slice(m, [0, start], [m.shape[0], n]) as tf.Tensor2D;
  if (cell === 'gru') {
    const [bIn, bRec] = tf.unstack(bias) as tf.Tensor1D[];
    const x = tf.add(xw, bIn) as tf.Tensor2D;
    const hu = tf.add(tf.matMul(state.h, rec), bRec) as tf.Tensor2D;
    const zr = tf.sigmoid(tf.add(cols(x, 0, 2 * H), cols(hu, 0, 2 * H))) as tf.Tensor2D;
    const n = tf.tanh(tf.add(cols(x, 2 * H, H), tf.mul(cols(zr, H, H), cols(hu, 2 * H, H))));
    return { h: tf.add(n, tf.mul(cols(zr, 0, H), tf.sub(state.h, n))) as tf.Tensor2D };
  }
  const z = tf.add(tf.add(xw, tf.matMul(state.h, rec)), bias) as tf.Tensor2D;
  if (cell === 'rnn') return { h: (activation === 'relu' ? tf.relu(z) : tf.tanh(z)) as tf.Tensor2D };
  const s = tf.sigmoid(z) as tf.Tensor2D;
  const c = tf.add(tf.mul(cols(s, H, H), state.c!), tf.mul(cols(s, 0, H), tf.tanh(cols(z, 2 * H, H))));
  return { h: tf.mul(cols(s, 3 * H, H), tf.tanh(c)) as tf.Tensor2D, c: c as tf.Tensor2D };
}

/**
 * The decoder with input feeding (Luong et al. 2015): at each step the first layer reads the
 * previous step's attentional vector h̃ beside the token's embedding, [x_t; h̃_{t−1}] W, written
 * x_t W + h̃_{t−1} W_feed so the first layer's kernel keeps a language model's shape. Attention
 * then sits inside the recurrence, so the decoder runs step by step on TF.js ops rather than as
 * whole-sequence layers on the training kernel.
 *
 * x: the T steps' inputs [T·B, E], time-major. `states`: each layer's state, then h̃ as one more
 * entry (zeros before the first step); with `keepFinal` they are replaced by the final ones, which
 * is how a decoding step hands h̃ to the next. Returns h̃ [B, T, H] and α [B, T, S].
 */
export function decodeWithInputFeeding(
  d: FeedingDecoder,
  memory: tf.Tensor3D,
  bias: tf.Tensor3D,
  x: tf.Tensor2D,
  T: number,
  B: number,
  o: { training: boolean; dropoutSeed?: number },
  states: LayerState[],
  keepFinal: boolean,
): AttentionResult {
  const { hidden: H, layers: L } = d;
  const dropout = (v: tf.Tensor2D, salt: number) =>
    !o.training || d.dropout <= 0
      ? v
      : (tf.dropout(v, d.dropout, undefined, hash32(o.dropoutSeed ?? 0, salt)) as tf.Tensor2D);
  const params = d.attentionParams();
  const xw = tf.matMul(x, d.p('layer_0/kernel') as tf.Tensor2D) as tf.Tensor2D;
  let layerStates = states.slice(0, L);
  let feed = states[L].h;
  const attended: tf.Tensor3D[] = [];
  const weights: tf.Tensor3D[] = [];
  for (let t = 0; t < T; t++) {
    let input = tf.add(
      tf.slice(xw, [t * B, 0], [B, xw.shape[1]]),
      tf.matMul(feed, d.p('input_feed/kernel') as tf.Tensor2D),
    ) as tf.Tensor2D;
    const next: LayerState[] = [];
    for (let l = 0; l < L; l++) {
      const p = (n: string) => d.p(`layer_${l}/${n}`);
      if (l > 0) input = tf.matMul(dropout(input, 1000 * t + l), p('kernel') as tf.Tensor2D);
      const s = cellStep(
        d.cell,
        d.activation,
        input,
        layerStates[l],
        p('recurrent_kernel') as tf.Tensor2D,
        p('bias'),
      );
      next.push(s);
      input = s.h;
    }
    layerStates = next;
    const r = attend(d.attention, d.score, params, tf.reshape(input, [B, 1, H]), memory, bias);
    attended.push(r.attended);
    weights.push(r.weights);
    feed = tf.reshape(r.attended, [B, H]);
  }
  if (keepFinal) states.splice(0, states.length, ...layerStates, { h: feed });
  return {
    attended: (T === 1 ? attended[0] : tf.concat(attended, 1)) as tf.Tensor3D,
    weights: (T === 1 ? weights[0] : tf.concat(weights, 1)) as tf.Tensor3D,
  };
}
