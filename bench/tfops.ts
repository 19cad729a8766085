import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../src/engine/config';
import { cloneInferState, InferState, StepModel, zeroInferState } from '../src/engine/inference/stepModel';
import type { Weights } from '../src/engine/model/shapes';

/**
 * Batch-1 LSTM inference with TF.js ops, token by token: what completion would cost if it went
 * through the engine's tensors instead of the fast path. For the benchmark only (LSTM only).
 */
export class TfOpsLstm implements StepModel {
  private readonly w: Record<string, tf.Tensor>;
  private h: tf.Tensor2D[] = [];
  private c: tf.Tensor2D[] = [];

  constructor(
    readonly config: ModelConfig,
    weights: Weights,
  ) {
    if (config.cell !== 'lstm') throw new Error('TfOpsLstm: LSTM only');
    this.w = {};
    for (const [name, { shape, data }] of weights) this.w[name] = tf.tensor(data, shape);
  }

  newState(): InferState {
    return zeroInferState(this.config);
  }

  cloneState(s: InferState): InferState {
    return cloneInferState(s);
  }

  /** Keeps the state as tensors between steps; `s` is synced on read (logits) only. */
  step(s: InferState, token: number): void {
    const { hidden: H, layers } = this.config;
    if (this.h.length === 0) {
      this.h = s.h.map((a) => tf.tensor2d(a, [1, H]));
      this.c = s.c.map((a) => tf.tensor2d(a, [1, H]));
    }
    const next = tf.tidy(() => {
      let x: tf.Tensor2D = tf.gather(this.w.embedding, [token]) as tf.Tensor2D;
      const hs: tf.Tensor2D[] = [];
      const cs: tf.Tensor2D[] = [];
      for (let l = 0; l < layers; l++) {
        const z = tf
          .matMul(x, this.w[`layer_${l}/kernel`] as tf.Tensor2D)
          .add(tf.matMul(this.h[l], this.w[`layer_${l}/recurrent_kernel`] as tf.Tensor2D))
          .add(this.w[`layer_${l}/bias`]);
        const [i, f, g, o] = tf.split(z, 4, 1);
        const c = tf
          .sigmoid(f)
          .mul(this.c[l])
          .add(tf.sigmoid(i).mul(tf.tanh(g))) as tf.Tensor2D;
        const h = tf.sigmoid(o).mul(tf.tanh(c)) as tf.Tensor2D;
        hs.push(h);
        cs.push(c);
        x = h;
      }
      return { hs, cs };
    });
    for (const t of [...this.h, ...this.c]) t.dispose();
    this.h = next.hs;
    this.c = next.cs;
    void H;
  }

  logits(s: InferState, out = new Float32Array(this.config.vocabSize)): Float32Array {
    const top = this.h[this.config.layers - 1];
    const l = tf.tidy(() =>
      tf.matMul(top, this.w['output/kernel'] as tf.Tensor2D).add(this.w['output/bias']),
    );
    out.set(l.dataSync());
    l.dispose();
    s.h[this.config.layers - 1].set(top.dataSync());
    return out;
  }

  reset(): void {
    for (const t of [...this.h, ...this.c]) t.dispose();
    this.h = [];
    this.c = [];
  }
}
