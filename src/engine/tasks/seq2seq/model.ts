import * as tf from '@tensorflow/tfjs';
import type { InitScheme, ModelConfig } from '../../config';
import { embeddingLookup } from '../../model/heads';
import { glorotUniform, uniform } from '../../model/init';
import { LayerState, recurrentLayer, recurrentLayerFromState } from '../../model/layers';
import { disposeParams, exportParams, initLayerWeights, Weights } from '../../model/model';
import { hash32, Rng } from '../../rng';
import { attend, AttentionParams } from './attention';
import { decodeWithInputFeeding } from './inputFeeding';
import { smoothedCrossEntropy } from './loss';
import { SideVocab } from './vocab';
import type { Seq2seqOptions } from './options';
import { gatherRows, lastRows, paddingBias, reverseWithinLengths, toBatchMajor, toTimeMajor } from './rows';

/** The shape of an encoder–decoder: the decoder is `model` (its names are a language model's). */
export interface Seq2seqShape {
  /** Decoder: cell, embedding, hidden, layers, dropout, and vocabSize = the target side's ids. */
  model: ModelConfig;
  sourceVocab: number;
  options: Pick<Seq2seqOptions, 'attention' | 'score' | 'bidirectional' | 'bridge' | 'tieEmbeddings'> &
    Partial<Pick<Seq2seqOptions, 'inputFeeding'>>;
}

/** A batch, time-major (row t·B + b), padded with each side's padding id. */
export interface Seq2seqBatch {
  B: number;
  S: number;
  T: number;
  src: Int32Array;
  srcLen: Int32Array;
  /** Decoder inputs: the start token, then y_1..y_{T−1} (padding after the end). */
  tgtIn: Int32Array;
  /** y_1..y_n, end, then −1 for padding (ignored by the loss). */
  tgtOut: Int32Array;
}

export interface Encoded {
  /** Encoder outputs [B, S, H]. */
  memory: tf.Tensor3D;
  /** [B, 1, S]: 0 on real positions, −1e9 on padding. */
  bias: tf.Tensor3D;
  /**
   * The bridge from the encoder's final states: the decoder layers' initial states side by side,
   * [B, layers·(h, and c for an LSTM)·H] (see initialStates); with the `input` bridge, the
   * decoder's first input [B, E].
   */
  bridge: tf.Tensor2D;
}

export interface RunOptions {
  training: boolean;
  dropoutSeed?: number;
}

/** Each encoder direction's hidden size: a bidirectional encoder's two halves make H together. */
export function encoderHidden(s: Seq2seqShape): number {
  return s.options.bidirectional ? s.model.hidden / 2 : s.model.hidden;
}

/** Each decoder layer's share of the state bridge: h (and c for an LSTM). */
function bridgeWidth(s: Seq2seqShape): number {
  return (s.model.cell === 'lstm' ? 2 : 1) * s.model.hidden;
}

/** Parameter names and shapes (decoder names as a language model's, so checkpoints check them). */
export function seq2seqParamShapes(s: Seq2seqShape): [string, number[]][] {
  const { model: c } = s;
  const H = c.hidden;
  const E = c.embedding;
  const Hd = encoderHidden(s);
  const G = c.cell === 'lstm' ? 4 : c.cell === 'gru' ? 3 : 1;
  const biasShape = (h: number) => (c.cell === 'gru' ? [2, G * h] : [G * h]);
  const out: [string, number[]][] = [['encoder/embedding', [s.sourceVocab, E]]];
  const dirs = s.options.bidirectional ? ['', '_reverse'] : [''];
  for (let l = 0; l < c.layers; l++)
    for (const d of dirs) {
      out.push([`encoder/layer_${l}${d}/kernel`, [l === 0 ? E : H, G * Hd]]);
      out.push([`encoder/layer_${l}${d}/recurrent_kernel`, [Hd, G * Hd]]);
      out.push([`encoder/layer_${l}${d}/bias`, biasShape(Hd)]);
    }
  if (s.options.bridge === 'input') out.push(['bridge/kernel', [H, E]], ['bridge/bias', [E]]);
  else
    for (let l = 0; l < c.layers; l++) {
      const width = bridgeWidth(s);
      out.push([`bridge/layer_${l}/kernel`, [H, width]], [`bridge/layer_${l}/bias`, [width]]);
    }
  out.push(['embedding', [c.vocabSize, E]]);
  for (let l = 0; l < c.layers; l++) {
    out.push([`layer_${l}/kernel`, [l === 0 ? E : H, G * H]]);
    out.push([`layer_${l}/recurrent_kernel`, [H, G * H]]);
    out.push([`layer_${l}/bias`, biasShape(H)]);
  }
  if (s.options.inputFeeding) out.push(['input_feed/kernel', [H, G * H]]);
  if (s.options.attention === 'bahdanau')
    out.push(['attention/query', [H, H]], ['attention/key', [H, H]], ['attention/v', [H]]);
  else if (s.options.score === 'general') out.push(['attention/kernel', [H, H]]);
  out.push(['attention/output', [2 * H, H]]);
  if (!s.options.tieEmbeddings) out.push(['output/kernel', [H, c.vocabSize]]);
  out.push(['output/bias', [c.vocabSize]]);
  return out;
}

/** Fresh weights from the seed (recurrent layers as the language model initialises them). */
export function initSeq2seqWeights(s: Seq2seqShape, seed: number, scheme: InitScheme): Weights {
  const rng = new Rng(seed);
  const w: Weights = new Map();
  const c = s.model;
  for (const [name, shape] of seq2seqParamShapes(s)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const layer = /^(encoder\/)?layer_(\d+)(_reverse)?\/(kernel|recurrent_kernel|bias)$/.exec(name);
    if (layer) {
      if (name.endsWith('/kernel') && !name.endsWith('recurrent_kernel')) {
        const hidden = name.startsWith('encoder/') ? encoderHidden(s) : c.hidden;
        const one = { ...c, hidden, embedding: shape[0], layers: 1 };
        for (const [k, v] of initLayerWeights(one, 0, rng, scheme))
          w.set(name.replace(/\/kernel$/, '/' + k.split('/')[1]), v);
      }
      continue;
    }
    if (name.endsWith('embedding'))
      w.set(name, {
        shape,
        data:
          scheme === 'pytorch' ? Float32Array.from({ length: n }, () => rng.normal()) : uniform(rng, n, 0.05),
      });
    else if (shape.length === 2) w.set(name, { shape, data: glorotUniform(rng, shape[0], shape[1]) });
    else if (name === 'attention/v') w.set(name, { shape, data: uniform(rng, n, 1 / Math.sqrt(n)) });
    else w.set(name, { shape, data: new Float32Array(n) });
  }
  return w;
}

let nextId = 0;

/**
 * Encoder–decoder with global attention. The encoder's and the decoder's recurrent layers are
 * ordinary whole-sequence layers (the wasm training kernel where it applies); attention is applied
 * on the decoder's top-layer outputs (Luong), so no recurrent step waits on it. The bridge maps
 * each encoder layer's final states (both directions') through a dense layer and tanh to the
 * initial state of the decoder layer at the same depth; the decoder layers take their initial
 * state as an input with a gradient (recurrentLayerFromState), so the bridge learns on the fast
 * kernel too. Older checkpoints' `input` bridge feeds the top layer's final states to the decoder
 * as its first input instead.
 */
export class Seq2seqModel {
  readonly params = new Map<string, tf.Variable>();

  constructor(
    readonly shape: Seq2seqShape,
    weights: Weights,
  ) {
    for (const [name, shp] of seq2seqParamShapes(shape)) {
      const w = weights.get(name);
      if (!w) throw new Error(`missing weight ${name}`);
      if (w.shape.join(',') !== shp.join(','))
        throw new Error(`weight ${name} has shape [${w.shape}], expected [${shp}]`);
      this.params.set(name, tf.variable(tf.tensor(w.data, shp), true, `s2s_${name}_${nextId++}`));
    }
    if (shape.options.tieEmbeddings && shape.model.embedding !== shape.model.hidden)
      throw new Error('tied embeddings need embedding size = hidden size');
  }

  p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`no parameter ${name}`);
    return v;
  }

  private layer(
    prefix: string,
    x: tf.Tensor2D,
    T: number,
    B: number,
    H: number,
    initial: LayerState,
  ): tf.Tensor2D {
    const c = this.shape.model;
    return recurrentLayer({
      cell: c.cell,
      activation: c.activation,
      T,
      B,
      H,
      initial,
    })(
      x,
      this.p(`${prefix}/kernel`) as tf.Tensor2D,
      this.p(`${prefix}/recurrent_kernel`) as tf.Tensor2D,
      this.p(`${prefix}/bias`),
    );
  }

  zeroState(B: number, H: number): LayerState {
    return {
      h: tf.zeros([B, H]) as tf.Tensor2D,
      c: this.shape.model.cell === 'lstm' ? (tf.zeros([B, H]) as tf.Tensor2D) : undefined,
    };
  }

  private dropout(x: tf.Tensor2D, o: RunOptions, salt: number): tf.Tensor2D {
    const rate = this.shape.model.dropout;
    if (!o.training || rate <= 0) return x;
    return tf.dropout(x, rate, undefined, hash32(o.dropoutSeed ?? 0, salt)) as tf.Tensor2D;
  }

  /** Source [S·B] (padded after each sequence's `len`) → memory, padding bias and bridge. */
  encode(src: Int32Array, len: Int32Array, S: number, B: number, o: RunOptions): Encoded {
    const c = this.shape.model;
    const Hd = encoderHidden(this.shape);
    const bi = this.shape.options.bidirectional;
    const rev = bi ? reverseWithinLengths(len, S, B) : undefined;
    let x = embeddingLookup(src, this.shape.sourceVocab)(this.p('encoder/embedding') as tf.Tensor2D);
    const lastOf = lastRows(len, B);
    // Each layer's final states: the forward direction's at each sequence's last real step, the
    // backward direction's at its first (where it ends).
    const finals: tf.Tensor2D[] = [];
    for (let l = 0; l < c.layers; l++) {
      if (l > 0) x = this.dropout(x, o, 100 + l);
      const fwd = this.layer(`encoder/layer_${l}`, x, S, B, Hd, this.zeroState(B, Hd));
      const lastFwd = gatherRows(fwd, lastOf);
      if (rev) {
        const bwd = gatherRows(
          this.layer(`encoder/layer_${l}_reverse`, gatherRows(x, rev), S, B, Hd, this.zeroState(B, Hd)),
          rev,
        );
        x = tf.concat([fwd, bwd], 1);
        finals.push(tf.concat([lastFwd, tf.slice(bwd, [0, 0], [B, Hd])], 1));
      } else {
        x = fwd;
        finals.push(lastFwd);
      }
    }
    const dense = (s: tf.Tensor2D, name: string) =>
      tf.tanh(tf.add(tf.matMul(s, this.p(`${name}/kernel`)), this.p(`${name}/bias`))) as tf.Tensor2D;
    const bridge =
      this.shape.options.bridge === 'input'
        ? dense(finals[c.layers - 1], 'bridge')
        : (tf.concat(
            finals.map((f, l) => dense(f, `bridge/layer_${l}`)),
            1,
          ) as tf.Tensor2D);
    return { memory: toBatchMajor(x, S, B), bias: paddingBias(len, S), bridge };
  }

  /**
   * The decoder layers' initial states from the bridge (zeros with the `input` bridge); with input
   * feeding, one more entry: the attentional vector fed to the first step (zeros).
   */
  initialStates(enc: Encoded): LayerState[] {
    const { cell, hidden: H, layers } = this.shape.model;
    const B = enc.bridge.shape[0];
    const feed: LayerState[] = this.shape.options.inputFeeding
      ? [{ h: tf.zeros([B, H]) as tf.Tensor2D }]
      : [];
    if (this.shape.options.bridge === 'input')
      return [...Array.from({ length: layers }, () => this.zeroState(B, H)), ...feed];
    const W = bridgeWidth(this.shape);
    const at = (l: number, k: number) => tf.slice(enc.bridge, [0, l * W + k * H], [B, H]) as tf.Tensor2D;
    return [
      ...Array.from({ length: layers }, (_, l) => ({
        h: at(l, 0),
        c: cell === 'lstm' ? at(l, 1) : undefined,
      })),
      ...feed,
    ];
  }

  attentionParams(): AttentionParams {
    const g = (n: string) => this.params.get(n) as tf.Tensor | undefined;
    return {
      kernel: g('attention/kernel') as tf.Tensor2D | undefined,
      query: g('attention/query') as tf.Tensor2D | undefined,
      key: g('attention/key') as tf.Tensor2D | undefined,
      v: g('attention/v') as tf.Tensor1D | undefined,
      output: this.p('attention/output') as tf.Tensor2D,
    };
  }

  /** The output projection [H, V] (the decoder embedding's transpose when tied). */
  outputKernel(): tf.Tensor2D {
    return this.shape.options.tieEmbeddings
      ? (tf.transpose(this.p('embedding')) as tf.Tensor2D)
      : (this.p('output/kernel') as tf.Tensor2D);
  }

  private embed(ids: Int32Array): tf.Tensor2D {
    return embeddingLookup(ids, this.shape.model.vocabSize)(this.p('embedding') as tf.Tensor2D);
  }

  /**
   * Decoder inputs for the T steps of `ids` (the start token, then the previous output tokens,
   * [T·B]): their embeddings, or with the `input` bridge the bridge in place of the start token.
   */
  private decoderInputs(bridge: tf.Tensor2D, ids: Int32Array): tf.Tensor2D {
    if (this.shape.options.bridge !== 'input') return this.embed(ids);
    const B = bridge.shape[0];
    if (ids.length === B) return bridge;
    return tf.concat([bridge, this.embed(ids.subarray(B))], 0);
  }

  /**
   * The decoder's top-layer outputs over T steps from each layer's initial state `states` (updated
   * in place with the final states when `keepFinal`), then attention: h̃ [B, T, H] and α [B, T, S].
   */
  decode(
    enc: Encoded,
    x: tf.Tensor2D,
    T: number,
    B: number,
    o: RunOptions,
    states: LayerState[],
    keepFinal = false,
  ): { attended: tf.Tensor3D; weights: tf.Tensor3D } {
    const c = this.shape.model;
    if (this.shape.options.inputFeeding) {
      const { attention, score } = this.shape.options;
      const d = {
        ...c,
        attention,
        score,
        p: (n: string) => this.p(n),
        attentionParams: () => this.attentionParams(),
      };
      return decodeWithInputFeeding(d, enc.memory, enc.bias, x, T, B, o, states, keepFinal);
    }
    let h = x;
    for (let l = 0; l < c.layers; l++) {
      if (l > 0) h = this.dropout(h, o, l);
      const layer = recurrentLayerFromState({
        cell: c.cell,
        activation: c.activation,
        T,
        B,
        H: c.hidden,
        onFinalState: keepFinal ? (s) => (states[l] = s) : undefined,
      });
      const p = (n: string) => this.p(`layer_${l}/${n}`) as tf.Tensor2D;
      h = layer(h, p('kernel'), p('recurrent_kernel'), p('bias'), states[l].h, states[l].c);
    }
    const q = toBatchMajor(h, T, B);
    const { attention, score } = this.shape.options;
    return attend(attention, score, this.attentionParams(), q, enc.memory, enc.bias);
  }

  /** Mean label-smoothed cross-entropy per target token of a batch (ε = 0: the plain NLL). */
  loss(batch: Seq2seqBatch, epsilon: number, o: RunOptions): tf.Scalar {
    const { B, S, T } = batch;
    const enc = this.encode(batch.src, batch.srcLen, S, B, o);
    const x = this.decoderInputs(enc.bridge, batch.tgtIn);
    const { attended } = this.decode(enc, x, T, B, o, this.initialStates(enc));
    const h = toTimeMajor(attended);
    return smoothedCrossEntropy(batch.tgtOut, this.shape.model.vocabSize, epsilon)(
      h,
      this.outputKernel(),
      this.p('output/bias') as tf.Tensor1D,
    );
  }

  /**
   * One decoding step for B rows from the previous tokens `prev` (null: the first step, from the
   * start token) and the layers' states (empty: the first step's, from the bridge) →
   * log-probabilities, attention and the next states.
   */
  step(
    enc: Encoded,
    prev: Int32Array | null,
    states: LayerState[],
  ): { logp: tf.Tensor2D; weights: tf.Tensor2D; states: LayerState[] } {
    const B = enc.memory.shape[0];
    const ids = prev ?? new Int32Array(B).fill(SideVocab.bosOf(this.shape.model.vocabSize));
    const x = this.decoderInputs(enc.bridge, ids);
    const next = states.length ? [...states] : this.initialStates(enc);
    const { attended, weights } = this.decode(enc, x, 1, B, { training: false }, next, true);
    const h = tf.reshape(attended, [B, this.shape.model.hidden]);
    const logits = tf.add(tf.matMul(h, this.outputKernel()), this.p('output/bias'));
    return {
      logp: tf.logSoftmax(logits) as tf.Tensor2D,
      weights: tf.reshape(weights, [B, weights.shape[2]]) as tf.Tensor2D,
      states: next,
    };
  }

  exportWeights(): Weights {
    const w = exportParams(this.params);
    // Readers that check a checkpoint against its decoder config expect output/kernel.
    // The embedding transposed in JS: its values are already read, and a GPU has no synchronous read.
    if (this.shape.options.tieEmbeddings) {
      const e = w.get('embedding')!;
      const [V, E] = e.shape;
      const data = new Float32Array(V * E);
      for (let v = 0; v < V; v++) for (let j = 0; j < E; j++) data[j * V + v] = e.data[v * E + j];
      w.set('output/kernel', { shape: [E, V], data });
    }
    return w;
  }

  get parameterCount(): number {
    return [...this.params.values()].reduce((a, v) => a + v.size, 0);
  }

  dispose(): void {
    disposeParams(this.params);
  }
}
