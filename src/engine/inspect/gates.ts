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

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * Gate activations of layer `l` at every position, [n × G × H] (gate blocks as in the kernels),
 * recomputed from the trace: the gates depend only on the layer's input at t and its h at t−1,
 * both of which the trace holds. Done on demand, because most inspections never look at gates
 * and they are G times the size of the hidden state.
 */
export function gateActivations(trace: ModelTrace, weights: Weights, l: number): Float32Array {
  const { cell, hidden: H, embedding: E } = trace.config;
  const G = gateCount(cell);
  const GH = G * H;
  const n = trace.tokens.length;
  const get = (name: string): Float32Array => {
    const w = weights.get(name);
    if (!w) throw new Error(`missing weight ${name}`);
    return w.data;
  };
  const emb = get('embedding');
  const kx = get(`layer_${l}/kernel`);
  const kh = get(`layer_${l}/recurrent_kernel`);
  const bias = get(`layer_${l}/bias`);
  const inDim = l === 0 ? E : H;
  const out = new Float32Array(n * GH);
  const zh = new Float32Array(GH);
  const hs = trace.hidden[l];
  for (let t = 0; t < n; t++) {
    const z = out.subarray(t * GH, (t + 1) * GH);
    z.set(bias.subarray(0, GH));
    const x =
      l === 0
        ? emb.subarray(trace.tokens[t] * E, (trace.tokens[t] + 1) * E)
        : trace.hidden[l - 1].subarray(t * H, (t + 1) * H);
    matvecAdd(x, kx, z, inDim);
    if (cell === 'gru') zh.set(bias.subarray(GH, 2 * GH));
    else zh.fill(0);
    if (t > 0) matvecAdd(hs.subarray((t - 1) * H, t * H), kh, zh, H);
    for (let j = 0; j < H; j++) {
      if (cell === 'lstm') {
        z[j] = sigmoid(z[j] + zh[j]);
        z[H + j] = sigmoid(z[H + j] + zh[H + j]);
        z[2 * H + j] = Math.tanh(z[2 * H + j] + zh[2 * H + j]);
        z[3 * H + j] = sigmoid(z[3 * H + j] + zh[3 * H + j]);
      } else if (cell === 'gru') {
        const r = sigmoid(z[H + j] + zh[H + j]);
        z[j] = sigmoid(z[j] + zh[j]);
        z[2 * H + j] = Math.tanh(z[2 * H + j] + r * zh[2 * H + j]);
        z[H + j] = r;
      }
    }
  }
  return out;
}

/** y += x · W for row-major W [nIn, y.length]. */
function matvecAdd(x: Float32Array, w: Float32Array, y: Float32Array, nIn: number): void {
  const m = y.length;
  for (let i = 0; i < nIn; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    const off = i * m;
    for (let j = 0; j < m; j++) y[j] += xi * w[off + j];
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
  const G = gateCount(cell);
  const names = gateNames(cell);
  const n = trace.tokens.length;
  const out: GateSaturation[] = [];
  for (let l = 0; l < layers; l++) {
    if (!sigmoidGates(cell).length) break;
    const a = gateActivations(trace, weights, l);
    for (const g of sigmoidGates(cell)) {
      const left = new Array<number>(H).fill(0);
      const right = new Array<number>(H).fill(0);
      for (let t = 0; t < n; t++)
        for (let j = 0; j < H; j++) {
          const v = a[t * G * H + g * H + j];
          if (v < 0.1) left[j]++;
          else if (v > 0.9) right[j]++;
        }
      out.push({ layer: l, gate: names[g], left: left.map((c) => c / n), right: right.map((c) => c / n) });
    }
  }
  return out;
}
