import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/wasm/backend';
import type { ModelConfig } from '../../src/engine/config';
import { recurrentLayer } from '../../src/engine/model/layers';
import { initWeights, LanguageModel } from '../../src/engine/model/model';
import { LayerState } from '../../src/engine/model/layers';
import { CELL_CASES as CELLS, randomLayerInputs, referenceLayer } from '../helpers/reference';

before(async () => {
  // Finite differences want the most exact arithmetic available: the pure-JS cpu backend.
  await initBackend('cpu');
});

for (const [cell, act] of CELLS) {
  test(`${cell}/${act}: hand-written BPTT equals TF.js autodiff of the same forward pass`, () => {
    const T = 6,
      B = 3,
      H = 5,
      In = 4;
    const { x, k, r, b, h0, c0, R } = randomLayerInputs(cell, T, B, H, In, 1);
    const ours = (a: tf.Tensor, bb: tf.Tensor, cc: tf.Tensor, d: tf.Tensor) =>
      recurrentLayer({ cell, activation: act, T, B, H, initial: { h: h0, c: c0 } })(
        a as tf.Tensor2D,
        bb as tf.Tensor2D,
        cc as tf.Tensor2D,
        d,
      )
        .mul(R)
        .sum();
    const ref = (a: tf.Tensor, bb: tf.Tensor, cc: tf.Tensor, d: tf.Tensor) =>
      referenceLayer(cell, act, T, B, H, a as tf.Tensor2D, bb as tf.Tensor2D, cc as tf.Tensor2D, d, h0, c0)
        .mul(R)
        .sum();
    assert.ok(
      Math.abs(ours(x, k, r, b).dataSync()[0] - ref(x, k, r, b).dataSync()[0]) < 1e-4,
      'forward passes agree',
    );
    const g1 = tf.grads(ours)([x, k, r, b]);
    const g2 = tf.grads(ref)([x, k, r, b]);
    ['x', 'kernel', 'recurrent_kernel', 'bias'].forEach((name, i) => {
      const diff = g1[i].sub(g2[i]).abs().max().dataSync()[0];
      const scale = g2[i].abs().max().dataSync()[0];
      assert.ok(scale > 1e-3, `${name} gradient is not trivially zero`);
      assert.ok(diff < 1e-4 * Math.max(1, scale), `${name}: max |ours - autodiff| = ${diff}`);
    });
  });

  test(`${cell}/${act}: whole-model gradients (embedding, layers, softmax) match finite differences`, () => {
    const config: ModelConfig = {
      cell,
      activation: act,
      vocabSize: 7,
      embedding: 3,
      hidden: 5,
      layers: 2,
      dropout: 0,
    };
    const weights = initWeights(config, 3);
    // Embeddings of ±1 rather than ±0.05: with tiny activations every gate sits in its linear
    // range, and a wrong derivative (1 − tanh vs 1 − tanh²) would hide below the tolerance.
    const emb = weights.get('embedding')!;
    emb.data = emb.data.map((v) => v * 20);
    const model = new LanguageModel(config, weights);
    const T = 4,
      B = 2;
    const ids = Int32Array.from([1, 2, 3, 4, 5, 6, 0, 1]);
    const targets = Int32Array.from([2, 3, 4, 5, 6, 0, 1, 2]);
    const state = model.zeroState(B);
    const lossAt = (): number =>
      tf.tidy(() => {
        const final: LayerState[] = [];
        const l = model.loss(ids, targets, T, B, state, { training: false }, final);
        const v = l.dataSync()[0];
        final.forEach((s) => tf.dispose([s.h, s.c].filter((t): t is tf.Tensor2D => !!t)));
        return v;
      });
    const vars = [...model.params.values()];
    const final: LayerState[] = [];
    const { grads } = tf.variableGrads(
      () => model.loss(ids, targets, T, B, state, { training: false }, final),
      vars,
    );
    const eps = 3e-3;
    let checked = 0;
    const center = lossAt();
    for (const [name, v] of model.params) {
      const g = grads[v.name].dataSync();
      // The largest entries of each gradient: where a wrong formula would show most.
      const order = Array.from(g.keys())
        .sort((a, b) => Math.abs(g[b]) - Math.abs(g[a]))
        .slice(0, 4);
      for (const idx of order) {
        const base = v.dataSync().slice();
        const set = (delta: number) => {
          const w = base.slice();
          w[idx] += delta;
          v.assign(tf.tensor(w, v.shape));
        };
        set(eps);
        const up = lossAt();
        set(-eps);
        const down = lossAt();
        v.assign(tf.tensor(base, v.shape));
        const numeric = (up - down) / (2 * eps);
        // A relu unit crossing zero inside ±eps makes the loss non-differentiable there; the
        // two one-sided slopes then disagree, and the central difference means nothing.
        const fwd = (up - center) / eps;
        const bwd = (center - down) / eps;
        if (Math.abs(fwd - bwd) > 5e-4 + 0.05 * Math.max(Math.abs(fwd), Math.abs(bwd))) continue;
        assert.ok(
          Math.abs(numeric - g[idx]) <= 2e-4 + 0.02 * Math.abs(numeric),
          `${name}[${idx}]: analytic ${g[idx]} vs numeric ${numeric}`,
        );
        checked++;
      }
    }
    assert.ok(checked >= 3 * 8, `only ${checked} smooth coordinates checked`);
    model.dispose();
  });
}
