import * as tf from '@tensorflow/tfjs';
import type { InitScheme, ModelConfig } from '../../config';
import { embeddingLookup } from '../../model/heads';
import { recurrentLayer, usesFusedPath } from '../../model/layers';
import { disposeParams, exportParams, initEmbedding, initLayerWeights } from '../../model/model';
import type { Weights } from '../../model/shapes';
import { hash32, Rng } from '../../rng';
import { uniform } from '../../model/init';
import type { ClassBatch } from './batch';
import { pool } from './pooling';
import { ClassifierSpec, classifierParamShapes, directions, featureWidth } from './spec';

/** Per example b of length L, row t·B + b ↔ row (L − 1 − t)·B + b for t < L (padding stays). */
export function reversalIndex(lengths: number[], T: number): Int32Array {
  const B = lengths.length;
  const idx = new Int32Array(T * B);
  for (let t = 0; t < T; t++)
    for (let b = 0; b < B; b++) idx[t * B + b] = (t < lengths[b] ? lengths[b] - 1 - t : t) * B + b;
  return idx;
}

/**
 * Rows permuted by an involution (the per-example time reversal): its gradient is the same
 * permutation, a gather again; tf.gather's own gradient needs a scatter the wasm backend lacks.
 */
function permuteRows(idx: Int32Array): (x: tf.Tensor2D) => tf.Tensor2D {
  const fn = tf.customGrad(((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([]);
    return {
      value: tf.gather(x, tf.tensor1d(idx, 'int32')),
      gradFunc: (dy: tf.Tensor2D) => [tf.gather(dy, tf.tensor1d(idx, 'int32'))],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return fn as unknown as (x: tf.Tensor2D) => tf.Tensor2D;
}

/** Fresh classifier weights: the encoder as a language model's, the head as PyTorch's nn.Linear. */
export function initClassifierWeights(
  c: ModelConfig,
  s: ClassifierSpec,
  seed: number,
  scheme: InitScheme = 'pytorch',
): Weights {
  const rng = new Rng(seed);
  const w: Weights = new Map();
  w.set('embedding', initEmbedding(rng, c.vocabSize, c.embedding, scheme));
  const D = featureWidth(c, s);
  for (let l = 0; l < c.layers; l++)
    for (const d of directions(s)) {
      // Layers above the first read both directions (width D): initialise each as a first layer of that input.
      const lw = initLayerWeights({ ...c, embedding: l === 0 ? c.embedding : D }, 0, rng, scheme);
      for (const [k, v] of lw) w.set(`layer_${l}${d}/${k.split('/')[1]}`, v);
    }
  const k = 1 / Math.sqrt(D);
  if (s.pooling === 'attention') w.set('pool/query', { shape: [D], data: uniform(rng, D, k) });
  // The identity until the task sets them from the training set's features.
  if (s.standardize) {
    w.set('classifier/shift', { shape: [D], data: new Float32Array(D) });
    w.set('classifier/scale', { shape: [D], data: new Float32Array(D).fill(1) });
  }
  const C = s.labels.length;
  w.set('classifier/kernel', { shape: [D, C], data: uniform(rng, D * C, k) });
  w.set('classifier/bias', { shape: [C], data: uniform(rng, C, k) });
  return w;
}

export interface ClassifierForward {
  training: boolean;
  dropoutSeed?: number;
  /** false: the plain TF.js layers even where the wasm kernel applies (tests compare both). */
  fused?: boolean;
}

/**
 * embedding → recurrent layers (each optionally also run backwards over each example's valid
 * positions) → pooling over valid positions → dropout → dense. Logits [B, C]; the softmax is in
 * the loss. Batches are time-major and right-padded (batch.ts).
 */
export class ClassifierNet {
  readonly params = new Map<string, tf.Variable>();

  constructor(
    readonly config: ModelConfig,
    readonly spec: ClassifierSpec,
    weights: Weights,
  ) {
    for (const [name, shape] of classifierParamShapes(config, spec)) {
      const w = weights.get(name);
      if (!w) throw new Error(`missing weight ${name}`);
      if (w.shape.join(',') !== shape.join(','))
        throw new Error(`weight ${name} has shape [${w.shape}], expected [${shape}]`);
      this.params.set(name, tf.variable(tf.tensor(w.data, shape), true, `cls_${name}_${nextId++}`));
    }
  }

  param(name: string): tf.Variable {
    const p = this.params.get(name);
    if (!p) throw new Error(`no parameter ${name}`);
    return p;
  }

  /** Pooled features [B, D] (before the head's dropout). */
  features(b: ClassBatch, o: ClassifierForward): tf.Tensor2D {
    const c = this.config;
    const { T, B } = b;
    const H = c.hidden;
    const fused = o.fused !== false && usesFusedPath({ H });
    const rev = this.spec.bidirectional ? reversalIndex(b.lengths, T) : undefined;
    const revIds = rev ? Int32Array.from(rev, (r) => b.ids[r]) : undefined;
    const table = this.param('embedding') as tf.Tensor2D;
    let x: tf.Tensor2D | undefined;
    for (let l = 0; l < c.layers; l++) {
      if (l > 0 && o.training && c.dropout > 0)
        x = tf.dropout(x!, c.dropout, undefined, hash32(o.dropoutSeed ?? 0, l)) as tf.Tensor2D;
      const outs: tf.Tensor2D[] = [];
      for (const d of directions(this.spec)) {
        const backward = d === '_rev';
        const ids = backward ? revIds! : b.ids;
        let input: tf.Tensor2D;
        if (l === 0) input = fused ? table : embeddingLookup(ids, c.vocabSize)(table);
        else input = backward ? permuteRows(rev!)(x!) : x!;
        const layer = recurrentLayer({
          cell: c.cell,
          activation: c.activation,
          T,
          B,
          H,
          initial: { h: tf.zeros([B, H]), c: c.cell === 'lstm' ? tf.zeros([B, H]) : undefined },
          fused: o.fused,
          ids: fused && l === 0 ? ids : undefined,
        });
        const y = layer(
          input,
          this.param(`layer_${l}${d}/kernel`) as tf.Tensor2D,
          this.param(`layer_${l}${d}/recurrent_kernel`) as tf.Tensor2D,
          this.param(`layer_${l}${d}/bias`),
        );
        outs.push(backward ? permuteRows(rev!)(y) : y);
      }
      x = outs.length === 1 ? outs[0] : (tf.concat(outs, 1) as tf.Tensor2D);
    }
    const query = this.params.get('pool/query');
    return pool(this.spec.pooling, x!, b.lengths, T, query, this.spec.bidirectional ? H : undefined);
  }

  logits(b: ClassBatch, o: ClassifierForward): tf.Tensor2D {
    let f = this.features(b, o);
    if (this.spec.standardize)
      f = tf.mul(tf.add(f, this.param('classifier/shift')), this.param('classifier/scale')) as tf.Tensor2D;
    if (o.training && this.config.dropout > 0)
      f = tf.dropout(f, this.config.dropout, undefined, hash32(o.dropoutSeed ?? 0, 99)) as tf.Tensor2D;
    return tf.add(
      tf.matMul(f, this.param('classifier/kernel')),
      this.param('classifier/bias'),
    ) as tf.Tensor2D;
  }

  /**
   * Mean cross-entropy of the batch's labels; with class weights, PyTorch's weighted mean
   * Σ w_y·nll / Σ w_y.
   */
  loss(b: ClassBatch, o: ClassifierForward, classWeights?: Float32Array): tf.Scalar {
    return crossEntropy(this.logits(b, o), b.labels, classWeights);
  }

  exportWeights(): Weights {
    return exportParams(this.params);
  }

  dispose(): void {
    disposeParams(this.params);
  }
}

export function crossEntropy(
  logits: tf.Tensor2D,
  labels: Int32Array,
  classWeights?: Float32Array,
): tf.Scalar {
  const C = logits.shape[1];
  const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor1d(labels, 'int32'), C)), 1));
  if (!classWeights) return tf.mean(nll) as tf.Scalar;
  const w = tf.tensor1d(Float32Array.from(labels, (y) => classWeights[y]));
  return tf.div(tf.sum(tf.mul(nll, w)), tf.sum(w)) as tf.Scalar;
}

let nextId = 0;
