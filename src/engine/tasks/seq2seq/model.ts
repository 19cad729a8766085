import * as tf from '@tensorflow/tfjs';
import type { InitScheme, ModelConfig } from '../../config';
import { embeddingLookup } from '../../model/heads';
import { glorotUniform, uniform } from '../../model/init';
import { LayerState, recurrentLayer } from '../../model/layers';
import { disposeParams, exportParams, initLayerWeights, Weights } from '../../model/model';
import { hash32, Rng } from '../../rng';
import { attend, AttentionParams } from './attention';
import { smoothedCrossEntropy } from './loss';
import type { Seq2seqOptions } from './options';
import { gatherRows, lastRows, paddingBias, reverseWithinLengths, toBatchMajor, toTimeMajor } from './rows';

/** The shape of an encoder–decoder: the decoder is `model` (its names are a language model's). */
export interface Seq2seqShape {
  /** Decoder: cell, embedding, hidden, layers, dropout, and vocabSize = the target side's ids. */
  model: ModelConfig;
  sourceVocab: number;
  options: Pick<Seq2seqOptions, 'attention' | 'score' | 'bidirectional' | 'tieEmbeddings'>;
}

/** A batch, time-major (row t·B + b), padded with each side's padding id. */
export interface Seq2seqBatch {
  B: number;
  S: number;
  T: number;
  src: Int32Array;
  srcLen: Int32Array;
  /** Decoder inputs: row 0 is the bridge, then y_1..y_{T−1} (padding after the end). */
  tgtIn: Int32Array;
  /** y_1..y_n, end, then −1 for padding (ignored by the loss). */
  tgtOut: Int32Array;
}

export interface Encoded {
  /** Encoder outputs [B, S, H]. */
  memory: tf.Tensor3D;
  /** [B, 1, S]: 0 on real positions, −1e9 on padding. */
  bias: tf.Tensor3D;
  /** The decoder's first input [B, E]: the bridge from the encoder's final states. */
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
  out.push(['bridge/kernel', [H, E]], ['bridge/bias', [E]]);
  out.push(['embedding', [c.vocabSize, E]]);
  for (let l = 0; l < c.layers; l++) {
    out.push([`layer_${l}/kernel`, [l === 0 ? E : H, G * H]]);
    out.push([`layer_${l}/recurrent_kernel`, [H, G * H]]);
    out.push([`layer_${l}/bias`, biasShape(H)]);
  }
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
 * on the decoder's top-layer outputs (Luong), so no recurrent step waits on it. The bridge maps the
 * encoder's final states to the decoder's first input (the training kernel gives gradients for a
 * layer's inputs, not its initial state).
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
    onFinal?: (s: LayerState) => void,
  ): tf.Tensor2D {
    const c = this.shape.model;
    return recurrentLayer({
      cell: c.cell,
      activation: c.activation,
      T,
      B,
      H,
      initial,
      onFinalState: onFinal,
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
    let fwd = x;
    let bwd: tf.Tensor2D | undefined;
    for (let l = 0; l < c.layers; l++) {
      if (l > 0) x = this.dropout(x, o, 100 + l);
      fwd = this.layer(`encoder/layer_${l}`, x, S, B, Hd, this.zeroState(B, Hd));
      if (rev) {
        bwd = gatherRows(
          this.layer(`encoder/layer_${l}_reverse`, gatherRows(x, rev), S, B, Hd, this.zeroState(B, Hd)),
          rev,
        );
        x = tf.concat([fwd, bwd], 1);
      } else x = fwd;
    }
    // The final states: the forward direction's at each sequence's last real step, the backward
    // direction's at its first (where it ends).
    const lastFwd = gatherRows(fwd, lastRows(len, B));
    const last = bwd ? tf.concat([lastFwd, tf.slice(bwd, [0, 0], [B, Hd])], 1) : lastFwd;
    const bridge = tf.tanh(
      tf.add(tf.matMul(last, this.p('bridge/kernel')), this.p('bridge/bias')),
    ) as tf.Tensor2D;
    return { memory: toBatchMajor(x, S, B), bias: paddingBias(len, S), bridge };
  }

  private attentionParams(): AttentionParams {
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

  /**
   * Decoder inputs for T steps: the bridge at step 0, then the embeddings of `ids` (the previous
   * output tokens, [(T−1)·B]).
   */
  private decoderInputs(bridge: tf.Tensor2D, ids: Int32Array): tf.Tensor2D {
    if (ids.length === 0) return bridge;
    const emb = embeddingLookup(ids, this.shape.model.vocabSize)(this.p('embedding') as tf.Tensor2D);
    return tf.concat([bridge, emb], 0);
  }

  /**
   * The decoder's top-layer outputs over T steps from `states` (each layer's, updated in place
   * with the final states when `states` is given), then attention: h̃ [B, T, H] and α [B, T, S].
   */
  decode(
    enc: Encoded,
    x: tf.Tensor2D,
    T: number,
    B: number,
    o: RunOptions,
    states?: LayerState[],
  ): { attended: tf.Tensor3D; weights: tf.Tensor3D } {
    const c = this.shape.model;
    let h = x;
    for (let l = 0; l < c.layers; l++) {
      if (l > 0) h = this.dropout(h, o, l);
      const initial = states?.[l] ?? this.zeroState(B, c.hidden);
      h = this.layer(`layer_${l}`, h, T, B, c.hidden, initial, states ? (s) => (states[l] = s) : undefined);
    }
    const q = toBatchMajor(h, T, B);
    const { attention, score } = this.shape.options;
    return attend(attention, score, this.attentionParams(), q, enc.memory, enc.bias);
  }

  /** Mean label-smoothed cross-entropy per target token of a batch (ε = 0: the plain NLL). */
  loss(batch: Seq2seqBatch, epsilon: number, o: RunOptions): tf.Scalar {
    const { B, S, T } = batch;
    const enc = this.encode(batch.src, batch.srcLen, S, B, o);
    const x = this.decoderInputs(enc.bridge, batch.tgtIn.subarray(B));
    const { attended } = this.decode(enc, x, T, B, o);
    const h = toTimeMajor(attended);
    return smoothedCrossEntropy(batch.tgtOut, this.shape.model.vocabSize, epsilon)(
      h,
      this.outputKernel(),
      this.p('output/bias') as tf.Tensor1D,
    );
  }

  /** One decoding step for B rows: first input (bridge or embedding of `prev`) → log-probabilities. */
  step(
    enc: Encoded,
    prev: Int32Array | null,
    states: LayerState[],
  ): { logp: tf.Tensor2D; weights: tf.Tensor2D; states: LayerState[] } {
    const B = enc.memory.shape[0];
    const x = prev
      ? embeddingLookup(prev, this.shape.model.vocabSize)(this.p('embedding') as tf.Tensor2D)
      : enc.bridge;
    const next = [...states];
    const { attended, weights } = this.decode(enc, x, 1, B, { training: false }, next);
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
    if (this.shape.options.tieEmbeddings) {
      const t = this.outputKernel();
      w.set('output/kernel', { shape: t.shape.slice(), data: t.dataSync() as Float32Array });
      t.dispose();
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
