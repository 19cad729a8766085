import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/wasm/backend';
import { cellKernel } from '../../src/engine/wasm/cellKernel';
import {
  LayerState,
  recurrentLayer,
  recurrentLayerFromState,
  TimestepGradRecorder,
} from '../../src/engine/model/layers';
import { CELL_CASES as CELLS, randomLayerInputs, referenceLayer } from '../helpers/reference';

before(async () => {
  await initBackend('wasm');
});

test('the fused cell kernel loads on the wasm backend', () => {
  assert.ok(cellKernel(), 'cellKernel() is null on wasm: training would silently take the slow path');
});

test('the fused cell kernel loads on both the stock (one thread) and the threaded wasm backend', () => {
  // Their heaps differ (the threaded build's memory is shared), and so do the kernels' imports.
  const script = `
    const tf = require('@tensorflow/tfjs');
    const { initBackend } = require(${JSON.stringify(path.resolve(__dirname, '../../src/engine/wasm/backend'))});
    const { cellKernel } = require(${JSON.stringify(path.resolve(__dirname, '../../src/engine/wasm/cellKernel'))});
    initBackend('wasm').then((b) => console.log(JSON.stringify({ backend: tf.getBackend(), threads: b.threads, kernel: !!cellKernel() })));
  `;
  for (const [threads, backend] of [
    ['1', 'wasm'],
    ['2', 'wasm-mt'],
  ]) {
    const out = execFileSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      env: { ...process.env, SEQLAB_WASM_THREADS: threads },
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as {
      backend: string;
      threads: number;
      kernel: boolean;
    };
    assert.equal(r.backend, backend, `SEQLAB_WASM_THREADS=${threads}`);
    assert.equal(r.threads, Number(threads));
    assert.ok(r.kernel, `no fused kernel on ${backend}`);
  }
});

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);
}

for (const [cell, act] of CELLS) {
  test(`${cell}/${act}: fused kernel forward, final state, gradients and profile equal the TF.js-ops path and autodiff`, () => {
    const T = 7,
      B = 3,
      H = 8,
      In = 5;
    const { x, k, r, b, h0, c0, R } = randomLayerInputs(cell, T, B, H, In, 11);
    const run = (fused: boolean) => {
      const final: LayerState[] = [];
      const recorder = new TimestepGradRecorder();
      const f = (a: tf.Tensor, bb: tf.Tensor, cc: tf.Tensor, d: tf.Tensor) =>
        recurrentLayer({
          cell,
          activation: act,
          T,
          B,
          H,
          initial: { h: h0, c: c0 },
          onFinalState: (s) => (final[0] = s),
          recorder,
          fused,
        })(a as tf.Tensor2D, bb as tf.Tensor2D, cc as tf.Tensor2D, d)
          .mul(R)
          .sum();
      const { value, grads } = tf.valueAndGrads(f)([x, k, r, b]);
      return { value: value.dataSync()[0], grads, final: final[0], profile: recorder.read() };
    };
    const fused = run(true);
    const plain = run(false);
    const ref = tf.grads((a: tf.Tensor, bb: tf.Tensor, cc: tf.Tensor, d: tf.Tensor) =>
      referenceLayer(cell, act, T, B, H, a as tf.Tensor2D, bb as tf.Tensor2D, cc as tf.Tensor2D, d, h0, c0)
        .mul(R)
        .sum(),
    )([x, k, r, b]);
    assert.ok(Math.abs(fused.value - plain.value) < 1e-4 * Math.max(1, Math.abs(plain.value)), 'forward');
    assert.ok(maxDiff(fused.final.h, plain.final.h) < 1e-5, 'final h');
    if (cell === 'lstm') assert.ok(maxDiff(fused.final.c!, plain.final.c!) < 1e-5, 'final c');
    ['x', 'kernel', 'recurrent_kernel', 'bias'].forEach((name, i) => {
      const scale = tf.tidy(() => ref[i].abs().max().dataSync()[0]);
      assert.ok(scale > 1e-3, `${name} gradient is not trivially zero`);
      const vsPlain = maxDiff(fused.grads[i], plain.grads[i]);
      const vsAutodiff = maxDiff(fused.grads[i], ref[i]);
      assert.ok(vsPlain < 1e-4 * Math.max(1, scale), `${name}: fused vs plain ops ${vsPlain}`);
      assert.ok(vsAutodiff < 1e-4 * Math.max(1, scale), `${name}: fused vs autodiff ${vsAutodiff}`);
    });
    assert.equal(fused.profile[0].length, T);
    fused.profile[0].forEach((v, t) => {
      const p = plain.profile[0][t];
      assert.ok(p > 0 && Math.abs(v - p) <= 1e-4 * p, `‖∂L_T/∂h_${t}‖: fused ${v}, plain ${p}`);
    });
  });
}

for (const [cell, act] of CELLS) {
  test(`${cell}/${act}: the initial state's gradients (fused and plain, with the gradient profile on) equal autodiff's`, () => {
    const T = 5,
      B = 3,
      H = 8,
      In = 4;
    const { x, k, r, b, h0, c0, R } = randomLayerInputs(cell, T, B, H, In, 23);
    const inputs = cell === 'lstm' ? [x, k, r, b, h0, c0] : [x, k, r, b, h0];
    const loss =
      (fused: boolean | 'ref') =>
      (...t: tf.Tensor[]) => {
        const [a, bb, cc, d, h, c] = t as tf.Tensor2D[];
        const out =
          fused === 'ref'
            ? referenceLayer(cell, act, T, B, H, a, bb, cc, d, h, c ?? h)
            : recurrentLayerFromState({
                cell,
                activation: act,
                T,
                B,
                H,
                fused,
                recorder: new TimestepGradRecorder(),
              })(a, bb, cc, d, h, c);
        return out.mul(R).sum();
      };
    const ref = tf.grads(loss('ref'))(inputs);
    for (const fused of [true, false]) {
      const g = tf.grads(loss(fused))(inputs);
      assert.equal(g.length, inputs.length);
      g.forEach((gi, i) => {
        const scale = tf.tidy(() => ref[i].abs().max().dataSync()[0]);
        assert.ok(scale > 1e-3, `input ${i}: gradient is not trivially zero`);
        const d = maxDiff(gi, ref[i]);
        assert.ok(
          d < 1e-4 * Math.max(1, scale),
          `${fused ? 'fused' : 'plain'} input ${i}: ${d} from autodiff`,
        );
      });
    }
  });
}

test('a hidden size that is not a multiple of 4 takes the plain ops and still gives the same result', () => {
  const T = 3,
    B = 2,
    H = 6;
  const x = tf.randomNormal([T * B, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
  const k = tf.randomNormal([4, 4 * H], 0, 0.5, 'float32', 2) as tf.Tensor2D;
  const r = tf.randomNormal([H, 4 * H], 0, 0.5, 'float32', 3) as tf.Tensor2D;
  const b = tf.zeros([4 * H]);
  const h0 = tf.zeros([B, H]) as tf.Tensor2D;
  const out = recurrentLayer({ cell: 'lstm', activation: 'tanh', T, B, H, initial: { h: h0, c: h0 } })(
    x,
    k,
    r,
    b,
  );
  const ref = referenceLayer('lstm', 'tanh', T, B, H, x, k, r, b, h0, h0);
  assert.deepEqual(out.shape, [T * B, H]);
  assert.ok(maxDiff(out, ref) < 1e-5);
});
