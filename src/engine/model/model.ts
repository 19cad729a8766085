import * as tf from '@tensorflow/tfjs';
import type { InitScheme, ModelConfig } from '../config';
import { hash32, Rng } from '../rng';
import { embeddingLookup, softmaxCrossEntropy } from './heads';
import { glorotUniform, orthogonal, uniform } from './init';
import { LayerState, TimestepGradRecorder } from './layerArgs';
import { recurrentLayer, usesFusedPath } from './layers';
import { gateCount, paramShapes, Weights } from './shapes';

export { paramGroup, paramShapes } from './shapes';
export type { Weights } from './shapes';

export function initLayerWeights(
  c: ModelConfig,
  l: number,
  rng: Rng,
  scheme: InitScheme = 'pytorch',
): Weights {
  const w: Weights = new Map();
  const G = gateCount(c.cell);
  const H = c.hidden;
  const inDim = l === 0 ? c.embedding : H;
  if (scheme === 'pytorch') {
    // PyTorch's nn.LSTM/GRU/RNN: every weight and bias U(±1/√H). PyTorch has two biases
    // (b_ih + b_hh); one bias here starts as their sum (GRU keeps both rows, as PyTorch does).
    const k = 1 / Math.sqrt(H);
    w.set(`layer_${l}/kernel`, { shape: [inDim, G * H], data: uniform(rng, inDim * G * H, k) });
    w.set(`layer_${l}/recurrent_kernel`, { shape: [H, G * H], data: uniform(rng, H * G * H, k) });
    const n = c.cell === 'gru' ? 2 * G * H : G * H;
    const bias = uniform(rng, n, k);
    if (c.cell !== 'gru') {
      const second = uniform(rng, n, k);
      for (let i = 0; i < n; i++) bias[i] += second[i];
    }
    w.set(`layer_${l}/bias`, { shape: c.cell === 'gru' ? [2, G * H] : [G * H], data: bias });
    return w;
  }
  w.set(`layer_${l}/kernel`, { shape: [inDim, G * H], data: glorotUniform(rng, inDim, G * H) });
  w.set(`layer_${l}/recurrent_kernel`, { shape: [H, G * H], data: orthogonal(rng, H, G * H) });
  const bias = new Float32Array(c.cell === 'gru' ? 2 * G * H : G * H);
  // LSTM forget gate starts open (bias 1), so early gradients flow through the cell state.
  if (c.cell === 'lstm') bias.fill(1, H, 2 * H);
  w.set(`layer_${l}/bias`, { shape: c.cell === 'gru' ? [2, G * H] : [G * H], data: bias });
  return w;
}

/** The embedding table: N(0, 1) as PyTorch's nn.Embedding, or U(±0.05) as Keras'. */
export function initEmbedding(rng: Rng, vocab: number, E: number, scheme: InitScheme) {
  const n = vocab * E;
  return {
    shape: [vocab, E],
    data: scheme === 'pytorch' ? Float32Array.from({ length: n }, () => rng.normal()) : uniform(rng, n, 0.05),
  };
}

/** The output projection `output/kernel` [inputs, outputs] and `output/bias`, as nn.Linear or Keras' Dense. */
export function initOutput(w: Weights, rng: Rng, inputs: number, outputs: number, scheme: InitScheme): void {
  const k = 1 / Math.sqrt(inputs);
  w.set('output/kernel', {
    shape: [inputs, outputs],
    data: scheme === 'pytorch' ? uniform(rng, inputs * outputs, k) : glorotUniform(rng, inputs, outputs),
  });
  w.set('output/bias', {
    shape: [outputs],
    data: scheme === 'pytorch' ? uniform(rng, outputs, k) : new Float32Array(outputs),
  });
}

/**
 * 'pytorch' (default): PyTorch's defaults — embedding N(0, 1); recurrent layers U(±1/√H);
 * output layer U(±1/√H) weights and bias (nn.Linear). 'keras': Glorot kernels, orthogonal
 * recurrent kernels, zero biases (LSTM forget bias 1), U(±0.05) embedding. At an equal budget
 * the PyTorch scheme learns markedly faster here (see `npm run parity`): the tiny Keras
 * embedding starves the first layer of input signal for the first few hundred steps.
 */
export function initWeights(c: ModelConfig, seed: number, scheme: InitScheme = 'pytorch'): Weights {
  const rng = new Rng(seed);
  const w: Weights = new Map();
  w.set('embedding', initEmbedding(rng, c.vocabSize, c.embedding, scheme));
  for (let l = 0; l < c.layers; l++) for (const [k, v] of initLayerWeights(c, l, rng, scheme)) w.set(k, v);
  initOutput(w, rng, c.hidden, c.vocabSize, scheme);
  return w;
}

export interface ForwardOptions {
  /** Dropout is applied only when training. */
  training: boolean;
  /** Seeds this window's dropout masks. */
  dropoutSeed?: number;
  recorder?: TimestepGradRecorder;
  /** false: look the embedding up as its own op even on the fused path (tests compare both). */
  foldEmbedding?: boolean;
}

/**
 * embedding → N stacked recurrent layers (dropout between them) → dense softmax.
 * Tensors are time-major and flattened: row t·B + b is stream b at time t.
 */
export class LanguageModel {
  readonly params = new Map<string, tf.Variable>();

  constructor(
    readonly config: ModelConfig,
    weights: Weights,
  ) {
    for (const [name, shape] of paramShapes(config)) {
      const w = weights.get(name);
      if (!w) throw new Error(`missing weight ${name}`);
      if (w.shape.join(',') !== shape.join(','))
        throw new Error(`weight ${name} has shape [${w.shape}], expected [${shape}]`);
      this.params.set(name, tf.variable(tf.tensor(w.data, shape), true, `${name}_${nextId++}`));
    }
  }

  param(name: string): tf.Variable {
    const p = this.params.get(name);
    if (!p) throw new Error(`no parameter ${name}`);
    return p;
  }

  zeroState(B: number): LayerState[] {
    const H = this.config.hidden;
    return Array.from({ length: this.config.layers }, () => ({
      h: tf.keep(tf.zeros([B, H])) as tf.Tensor2D,
      c: this.config.cell === 'lstm' ? (tf.keep(tf.zeros([B, H])) as tf.Tensor2D) : undefined,
    }));
  }

  /** Top-layer hidden states [T·B, H] for a window; `final` receives each layer's last state. */
  hidden(
    ids: Int32Array,
    T: number,
    B: number,
    state: LayerState[],
    opts: ForwardOptions,
    final: LayerState[],
  ): tf.Tensor2D {
    const c = this.config;
    const table = this.param('embedding') as tf.Tensor2D;
    // On the fused path the first layer reads the embedding itself (its input projection folded
    // with the table); elsewhere the rows are looked up first.
    const fold = opts.foldEmbedding !== false && usesFusedPath({ H: c.hidden });
    let x = fold ? table : embeddingLookup(ids, c.vocabSize)(table);
    for (let l = 0; l < c.layers; l++) {
      if (l > 0 && opts.training && c.dropout > 0)
        x = tf.dropout(x, c.dropout, undefined, hash32(opts.dropoutSeed ?? 0, l)) as tf.Tensor2D;
      const layer = recurrentLayer({
        cell: c.cell,
        activation: c.activation,
        T,
        B,
        H: c.hidden,
        initial: state[l],
        onFinalState: (s) => (final[l] = s),
        recorder: opts.recorder,
        layerIndex: l,
        ids: fold && l === 0 ? ids : undefined,
      });
      x = layer(
        x,
        this.param(`layer_${l}/kernel`) as tf.Tensor2D,
        this.param(`layer_${l}/recurrent_kernel`) as tf.Tensor2D,
        this.param(`layer_${l}/bias`),
      );
    }
    return x;
  }

  /** Mean cross-entropy (nats) of predicting `targets` from `ids` over a window. */
  loss(
    ids: Int32Array,
    targets: Int32Array,
    T: number,
    B: number,
    state: LayerState[],
    opts: ForwardOptions,
    final: LayerState[],
  ): tf.Scalar {
    const h = this.hidden(ids, T, B, state, opts, final);
    return softmaxCrossEntropy(targets, this.config.vocabSize)(
      h,
      this.param('output/kernel') as tf.Tensor2D,
      this.param('output/bias') as tf.Tensor1D,
    );
  }

  /** Logits [T·B, V] (no dropout); used by tests and evaluation tools. */
  logits(ids: Int32Array, T: number, B: number, state: LayerState[], final: LayerState[]): tf.Tensor2D {
    return tf.tidy(() => {
      const h = this.hidden(ids, T, B, state, { training: false }, final);
      return tf.add(tf.matMul(h, this.param('output/kernel')), this.param('output/bias')) as tf.Tensor2D;
    });
  }

  exportWeights(): Weights {
    return exportParams(this.params);
  }

  dispose(): void {
    disposeParams(this.params);
  }
}

/** Every parameter's values by name, as checkpoints store them (each task's model exports this way). */
export function exportParams(params: ReadonlyMap<string, tf.Variable>): Weights {
  const w: Weights = new Map();
  for (const [name, v] of params) w.set(name, { shape: v.shape.slice(), data: v.dataSync() as Float32Array });
  return w;
}

export function disposeParams(params: Map<string, tf.Variable>): void {
  for (const v of params.values()) v.dispose();
  params.clear();
}

let nextId = 0;

export function disposeState(s: LayerState[]): void {
  for (const l of s) {
    l.h?.dispose();
    l.c?.dispose();
  }
}
