import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/wasm/backend';
import type { ModelConfig } from '../../src/engine/config';
import { ForecastModel, initForecastWeights, regressionLoss } from '../../src/engine/tasks/forecast/model';
import { Rng } from '../../src/engine/rng';

before(async () => {
  // Finite differences want the most exact arithmetic available: the pure-JS cpu backend.
  await initBackend('cpu');
});

function random(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.normal()),
    shape,
  );
}

/** Central differences of f at every entry of `at` (one of the arguments), in float64 on the host. */
function numericGrad(
  f: (args: tf.Tensor[]) => number,
  args: tf.Tensor[],
  at: number,
  eps = 1e-2,
): Float64Array {
  const base = args[at].dataSync().slice();
  const out = new Float64Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const probe = (d: number) => {
      const v = base.slice();
      v[i] += d;
      const moved = args.slice();
      moved[at] = tf.tensor(v, args[at].shape);
      const r = f(moved);
      moved[at].dispose();
      return r;
    };
    out[i] = (probe(eps) - probe(-eps)) / (2 * eps);
  }
  return out;
}

for (const kind of ['mse', 'mae'] as const) {
  test(`regression head (${kind}): hand-written gradients of h, W and b match finite differences`, () => {
    const rng = new Rng(5);
    // An odd batch: MAE's bias gradient is a sum of ±1/n over the batch, never 0 then.
    const B = 5,
      H = 3,
      O = 2;
    const h = random(rng, [B, H]);
    const w = random(rng, [H, O]);
    const b = random(rng, [O]);
    const y = random(rng, [B, O]) as tf.Tensor2D;
    const loss = (a: tf.Tensor[]) =>
      regressionLoss(y, kind)(a[0] as tf.Tensor2D, a[1] as tf.Tensor2D, a[2] as tf.Tensor1D);
    const analytic = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => loss([a, c, d]))([h, w, b]);
    // Float32 forward passes: a step of 1e-2 keeps rounding noise well under the tolerance
    // (MSE is quadratic, so central differences are exact up to rounding; MAE is piecewise
    // linear and exact away from a kink, which random values avoid).
    const f = (a: tf.Tensor[]) => tf.tidy(() => loss(a).dataSync()[0]);
    ['h', 'W', 'b'].forEach((name, i) => {
      const num = numericGrad(f, [h, w, b], i);
      const ana = analytic[i].dataSync();
      let scale = 0;
      for (let j = 0; j < num.length; j++) {
        scale = Math.max(scale, Math.abs(num[j]));
        assert.ok(Math.abs(ana[j] - num[j]) < 2e-3, `${name}[${j}]: analytic ${ana[j]} vs numeric ${num[j]}`);
      }
      assert.ok(scale > 1e-2, `${name} gradient is not trivially zero`);
    });
  });
}

for (const cell of ['lstm', 'gru', 'rnn'] as const) {
  test(`${cell} forecaster: gradients of every weight match finite differences through the layers and the head`, () => {
    const config: ModelConfig = {
      cell,
      activation: 'tanh',
      vocabSize: 2,
      embedding: 2,
      inputs: 2,
      hidden: 5,
      layers: 2,
      dropout: 0,
    };
    const model = new ForecastModel(config, initForecastWeights(config, 3));
    const rng = new Rng(9);
    const T = 4,
      B = 3;
    const x = random(rng, [T * B, 2]) as tf.Tensor2D;
    const y = random(rng, [B, 2]) as tf.Tensor2D;
    const names = [...model.params.keys()];
    const vars = names.map((n) => model.params.get(n)!);
    const { grads } = tf.variableGrads(() => model.loss(x, y, T, B, 'mse', 0), vars);
    for (const [i, name] of names.entries()) {
      const v = vars[i];
      const base = v.dataSync().slice();
      const g = grads[v.name].dataSync();
      // Three entries per tensor keep the test quick; each is a full forward pass twice.
      for (const j of [0, Math.floor(base.length / 2), base.length - 1]) {
        const at = (d: number) => {
          const moved = base.slice();
          moved[j] += d;
          v.assign(tf.tensor(moved, v.shape));
          return tf.tidy(() => model.loss(x, y, T, B, 'mse', 0).dataSync()[0]);
        };
        const num = (at(1e-2) - at(-1e-2)) / 2e-2;
        v.assign(tf.tensor(base, v.shape));
        assert.ok(
          Math.abs(g[j] - num) < 3e-3 + 2e-2 * Math.abs(num),
          `${name}[${j}]: analytic ${g[j]} vs numeric ${num}`,
        );
      }
    }
    model.dispose();
  });
}
