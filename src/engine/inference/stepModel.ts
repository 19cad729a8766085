import type { ModelConfig } from '../config';
import type { Weights } from '../model/shapes';
import { Rng } from '../rng';

/** Recurrent state of one sequence: h (and c for LSTM) per layer. */
export interface InferState {
  h: Float32Array[];
  c: Float32Array[];
}

/**
 * One block of `StepModel.trace`, as views into the kernel's memory that are valid only
 * during the call: rows of `stride` floats (the first `hidden` of each are the units).
 */
export interface TraceBlock {
  /** Position of the block's first token in the tokens `trace` was given. */
  from: number;
  /** Tokens in the block. */
  count: number;
  stride: number;
  /** Per layer, [count × stride]: h after each token of the block. */
  h: Float32Array[];
  /** Per layer, [count × stride]: the LSTM cell c after each token (empty for GRU and RNN). */
  c: Float32Array[];
  /** [count × logitStride]: the logits that predicted each token (from the state before it). */
  logits: Float32Array;
  logitStride: number;
}

/** What sampling and completion need of a model: the JS reference path and the SIMD fast path. */
export interface StepModel {
  readonly config: ModelConfig;
  newState(): InferState;
  cloneState(s: InferState): InferState;
  /** Advances `s` by one input token. */
  step(s: InferState, token: number): void;
  /** Next-token logits from the top layer's state. */
  logits(s: InferState, out?: Float32Array): Float32Array;
  /** Releases threads or memory the model holds, if any. */
  dispose?(): void;
  /**
   * Same as `step` over each token in turn, faster for many; `onState(i, state)` receives a new
   * state object after tokens[0..i] wherever `keep(i)` is true.
   */
  advance?(
    s: InferState,
    tokens: ArrayLike<number>,
    keep?: (i: number) => boolean,
    onState?: (i: number, state: InferState) => void,
  ): void;
  /**
   * Same as `step` over each token in turn, handing over block by block every layer's states and
   * the logits that predicted each token (what an inspection records).
   */
  trace?(s: InferState, tokens: ArrayLike<number>, onBlock: (block: TraceBlock) => void): void;
}

export function zeroInferState(c: ModelConfig): InferState {
  return {
    h: Array.from({ length: c.layers }, () => new Float32Array(c.hidden)),
    c: Array.from({ length: c.layers }, () => new Float32Array(c.hidden)),
  };
}

export function cloneInferState(s: InferState): InferState {
  return { h: s.h.map((a) => a.slice()), c: s.c.map((a) => a.slice()) };
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * Batch-1 forward pass over Float32Arrays, without TF.js: sampling and completion step one
 * token at a time, where TF.js' per-op overhead costs more than the arithmetic. The first
 * layer's input projection is folded into a [vocab, G·H] table (embedding · W_x + b) when that
 * table is small, so a token's input costs one row copy instead of a matvec.
 */
export class InferenceModel implements StepModel {
  private readonly G: number;
  private readonly k: Float32Array[] = [];
  private readonly r: Float32Array[] = [];
  private readonly bIn: Float32Array[] = [];
  private readonly bRec: Float32Array[] = [];
  private readonly emb: Float32Array;
  private readonly folded?: Float32Array;
  private readonly outK: Float32Array;
  private readonly outB: Float32Array;
  private readonly zx: Float32Array;
  private readonly zh: Float32Array;

  constructor(
    readonly config: ModelConfig,
    weights: Weights,
  ) {
    const { cell, hidden: H, layers } = config;
    this.G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
    const GH = this.G * H;
    const get = (n: string): Float32Array => {
      const w = weights.get(n);
      if (!w) throw new Error(`missing weight ${n}`);
      return w.data;
    };
    this.emb = get('embedding');
    for (let l = 0; l < layers; l++) {
      this.k.push(get(`layer_${l}/kernel`));
      this.r.push(get(`layer_${l}/recurrent_kernel`));
      const b = get(`layer_${l}/bias`);
      this.bIn.push(b.subarray(0, GH));
      this.bRec.push(cell === 'gru' ? b.subarray(GH, 2 * GH) : new Float32Array(GH));
    }
    this.outK = get('output/kernel');
    this.outB = get('output/bias');
    this.zx = new Float32Array(GH);
    this.zh = new Float32Array(GH);
    const V = config.vocabSize;
    if (V * GH <= 4_000_000) {
      this.folded = new Float32Array(V * GH);
      for (let v = 0; v < V; v++) {
        const row = this.folded.subarray(v * GH, (v + 1) * GH);
        row.set(this.bIn[0]);
        matvecAdd(this.emb.subarray(v * config.embedding, (v + 1) * config.embedding), this.k[0], row);
      }
    }
  }

  newState(): InferState {
    return zeroInferState(this.config);
  }

  cloneState(s: InferState): InferState {
    return cloneInferState(s);
  }

  /** Advances `s` by one input token. */
  step(s: InferState, token: number): void {
    const { hidden: H, layers, cell, embedding: E } = this.config;
    const GH = this.G * H;
    const zx = this.zx;
    const zh = this.zh;
    for (let l = 0; l < layers; l++) {
      if (l === 0 && this.folded) zx.set(this.folded.subarray(token * GH, (token + 1) * GH));
      else {
        zx.set(this.bIn[l]);
        matvecAdd(l === 0 ? this.emb.subarray(token * E, (token + 1) * E) : s.h[l - 1], this.k[l], zx);
      }
      zh.set(this.bRec[l]);
      const h = s.h[l];
      matvecAdd(h, this.r[l], zh);
      if (cell === 'lstm') {
        const c = s.c[l];
        for (let j = 0; j < H; j++) {
          const i = sigmoid(zx[j] + zh[j]);
          const f = sigmoid(zx[H + j] + zh[H + j]);
          const g = Math.tanh(zx[2 * H + j] + zh[2 * H + j]);
          const o = sigmoid(zx[3 * H + j] + zh[3 * H + j]);
          c[j] = f * c[j] + i * g;
          h[j] = o * Math.tanh(c[j]);
        }
      } else if (cell === 'gru') {
        for (let j = 0; j < H; j++) {
          const z = sigmoid(zx[j] + zh[j]);
          const r = sigmoid(zx[H + j] + zh[H + j]);
          const n = Math.tanh(zx[2 * H + j] + r * zh[2 * H + j]);
          h[j] = n + z * (h[j] - n);
        }
      } else {
        const relu = this.config.activation === 'relu';
        for (let j = 0; j < H; j++) {
          const a = zx[j] + zh[j];
          h[j] = relu ? (a > 0 ? a : 0) : Math.tanh(a);
        }
      }
    }
  }

  /** Next-token logits from the top layer's state. */
  logits(s: InferState, out = new Float32Array(this.config.vocabSize)): Float32Array {
    out.set(this.outB);
    matvecAdd(s.h[this.config.layers - 1], this.outK, out);
    return out;
  }
}

/** y += x · W for row-major W [x.length, y.length]. */
function matvecAdd(x: Float32Array, w: Float32Array, y: Float32Array): void {
  const n = y.length;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    const off = i * n;
    for (let j = 0; j < n; j++) y[j] += xi * w[off + j];
  }
}

export interface SampleOptions {
  temperature: number;
  topK: number;
  topP: number;
}

/** Picks a token from logits: greedy at temperature 0, else softmax(logits/T) cut by top-k and top-p. */
export function pickToken(logits: Float32Array, o: SampleOptions, rng: Rng, exclude = -1): number {
  const V = logits.length;
  if (o.temperature <= 0) {
    let best = exclude === 0 ? 1 : 0;
    for (let i = 0; i < V; i++) if (i !== exclude && logits[i] > logits[best]) best = i;
    return best;
  }
  let idx = Array.from({ length: V }, (_, i) => i).filter((i) => i !== exclude);
  idx.sort((a, b) => logits[b] - logits[a]);
  if (o.topK > 0) idx = idx.slice(0, o.topK);
  const max = logits[idx[0]];
  let p = idx.map((i) => Math.exp((logits[i] - max) / o.temperature));
  let sum = p.reduce((a, b) => a + b, 0);
  if (o.topP > 0 && o.topP < 1) {
    let acc = 0;
    let cut = idx.length;
    for (let k = 0; k < idx.length; k++) {
      acc += p[k] / sum;
      if (acc >= o.topP) {
        cut = k + 1;
        break;
      }
    }
    idx = idx.slice(0, cut);
    p = p.slice(0, cut);
    sum = p.reduce((a, b) => a + b, 0);
  }
  let u = rng.next() * sum;
  for (let k = 0; k < idx.length; k++) {
    u -= p[k];
    if (u <= 0) return idx[k];
  }
  return idx[idx.length - 1];
}
