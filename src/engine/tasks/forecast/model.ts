import * as tf from '@tensorflow/tfjs';
import type { InitScheme, ModelConfig } from '../../config';
import { disposeParams, exportParams, initLayerWeights, initOutput } from '../../model/model';
import { recurrentLayer } from '../../model/layers';
import { paramShapes, Weights } from '../../model/shapes';
import { hash32, Rng } from '../../rng';
import { columnSums } from '../../wasm/fusedLayers';

export type ForecastLoss = 'mse' | 'mae';

/** Weights of a forecaster: recurrent layers reading `inputs` values per step, then a dense head. */
export function initForecastWeights(c: ModelConfig, seed: number, scheme: InitScheme = 'pytorch'): Weights {
  const rng = new Rng(seed);
  const w: Weights = new Map();
  const asLayers = { ...c, embedding: c.inputs! };
  for (let l = 0; l < c.layers; l++)
    for (const [k, v] of initLayerWeights(asLayers, l, rng, scheme)) w.set(k, v);
  initOutput(w, rng, c.hidden, c.vocabSize, scheme);
  return w;
}

/**
 * The dense regression head and its loss, fused so the backward pass is the closed form:
 * pred = h W + b; MSE: ∂L/∂pred = 2 (pred − y) / n; MAE: sign(pred − y) / n.
 */
export function regressionLoss(
  targets: tf.Tensor2D,
  kind: ForecastLoss,
): (h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Scalar {
  const fn = tf.customGrad(((h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const n = targets.size;
    const err = tf.sub(tf.add(tf.matMul(h, w), b), targets) as tf.Tensor2D;
    const value = (
      kind === 'mse' ? tf.div(tf.sum(tf.square(err)), n) : tf.div(tf.sum(tf.abs(err)), n)
    ) as tf.Scalar;
    save([h, w, err]);
    return {
      value,
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const [sh, sw, se] = saved as tf.Tensor2D[];
        const dPred = tf.mul(kind === 'mse' ? tf.mul(se, 2 / n) : tf.div(tf.sign(se), n), dy) as tf.Tensor2D;
        return [tf.matMul(dPred, tf.transpose(sw)), tf.matMul(tf.transpose(sh), dPred), columnSums(dPred)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return fn as unknown as (h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Scalar;
}

/**
 * N stacked recurrent layers over a window of numeric inputs (time-major, flattened: row t·B + b
 * is window b at step t), the last step's top hidden state through a dense head. The layers are
 * those of the language model, so they take the wasm training kernel when H is a multiple of 4.
 */
export class ForecastModel {
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
      this.params.set(name, tf.variable(tf.tensor(w.data, shape), true, `forecast_${name}_${nextId++}`));
    }
  }

  private p(name: string): tf.Tensor2D {
    return this.params.get(name)! as tf.Tensor2D;
  }

  /** The top layer's hidden state after the window's last step, [B, H]. */
  lastHidden(x: tf.Tensor2D, T: number, B: number, training = false, dropoutSeed = 0): tf.Tensor2D {
    const c = this.config;
    let h = x;
    for (let l = 0; l < c.layers; l++) {
      if (l > 0 && training && c.dropout > 0)
        h = tf.dropout(h, c.dropout, undefined, hash32(dropoutSeed, l)) as tf.Tensor2D;
      const zero = tf.zeros([B, c.hidden]) as tf.Tensor2D;
      const layer = recurrentLayer({
        cell: c.cell,
        activation: c.activation,
        T,
        B,
        H: c.hidden,
        initial: { h: zero, c: c.cell === 'lstm' ? zero : undefined },
        layerIndex: l,
      });
      h = layer(
        h,
        this.p(`layer_${l}/kernel`),
        this.p(`layer_${l}/recurrent_kernel`),
        this.params.get(`layer_${l}/bias`)!,
      );
    }
    return tf.slice(h, [(T - 1) * B, 0], [B, c.hidden]);
  }

  /** Mean loss of predicting `targets` [B, outputs] from the windows `x` [T·B, inputs]. */
  loss(
    x: tf.Tensor2D,
    targets: tf.Tensor2D,
    T: number,
    B: number,
    kind: ForecastLoss,
    dropoutSeed: number,
  ): tf.Scalar {
    const h = this.lastHidden(x, T, B, true, dropoutSeed);
    return regressionLoss(targets, kind)(
      h,
      this.p('output/kernel'),
      this.params.get('output/bias')! as tf.Tensor1D,
    );
  }

  /** Predictions [B, outputs] (standardised), no dropout. */
  predict(x: tf.Tensor2D, T: number, B: number): tf.Tensor2D {
    return tf.tidy(() =>
      tf.add(tf.matMul(this.lastHidden(x, T, B), this.p('output/kernel')), this.params.get('output/bias')!),
    );
  }

  exportWeights(): Weights {
    return exportParams(this.params);
  }

  dispose(): void {
    disposeParams(this.params);
  }
}

let nextId = 0;
