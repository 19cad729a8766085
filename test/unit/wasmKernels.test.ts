import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/wasm/backend';
import { cellKernel } from '../../src/engine/wasm/cellKernel';
import { softmaxCrossEntropy } from '../../src/engine/model/heads';
import { columnSums } from '../../src/engine/wasm/fusedLayers';
import { Optimizer, squaredNorms } from '../../src/engine/optim';

before(async () => {
  await initBackend('wasm');
  assert.ok(cellKernel(), 'no cell kernel on wasm: these tests would check the plain ops only');
});

/** Row-major values 0.5, 1.5, ... so that every element is distinct and exact in float32. */
function ramp(rows: number, cols: number): Float32Array {
  return Float32Array.from({ length: rows * cols }, (_, i) => i + 0.5);
}

test('the replacement Transpose (SIMD for multiples of 4, tiled otherwise) moves every element', () => {
  // [2048, 256] and [12, 8] take the cell kernel's 4x4 SIMD blocks; [5, 7] and [6, 4] the JS tiles.
  for (const [rows, cols] of [
    [2048, 256],
    [12, 8],
    [4, 4],
    [5, 7],
    [6, 4],
  ]) {
    const v = ramp(rows, cols);
    const out = tf.tidy(() => tf.transpose(tf.tensor2d(v, [rows, cols])).dataSync());
    const want = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[c * rows + r] = v[r * cols + c];
    assert.deepEqual(Array.from(out), Array.from(want), `transpose of [${rows}, ${cols}]`);
  }
});

test('the replacement Slice copies exactly the requested region', () => {
  const v = ramp(9, 6);
  const out = tf.tidy(() => tf.slice(tf.tensor2d(v, [9, 6]), [2, 1], [3, 4]).dataSync());
  const want: number[] = [];
  for (let r = 2; r < 5; r++) for (let c = 1; c < 5; c++) want.push(v[r * 6 + c]);
  assert.deepEqual(Array.from(out), want);
});

// V = 11: two 4-wide blocks and a 3-lane tail in the kernel, and the logits product on XNNPACK
// (gemm takes widths that are multiples of 4); V = 12: every product on the kernel's gemm.
for (const V of [11, 12])
  test(`the fused softmax cross-entropy head gives the loss and gradients of the plain ops (vocabulary ${V})`, () => {
    const [N, Hd] = [6, 5];
    const labels = Int32Array.from({ length: N }, (_, i) => (i * 4 + 1) % V);
    const rnd = (n: number, seed: number) =>
      Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 2);
    const h = tf.tensor2d(rnd(N * Hd, 1), [N, Hd]);
    const w = tf.tensor2d(rnd(Hd * V, 2), [Hd, V]);
    const b = tf.tensor1d(rnd(V, 3));
    const reference = (hh: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor): tf.Scalar => {
      const logp = tf.logSoftmax(tf.add(tf.matMul(hh as tf.Tensor2D, ww as tf.Tensor2D), bb));
      return tf.div(tf.neg(tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(labels, 'int32'), V)))), N) as tf.Scalar;
    };
    const head = softmaxCrossEntropy(labels, V);
    const fused = tf.valueAndGrads((hh: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
      head(hh as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D),
    )([h, w, b]);
    const plain = tf.valueAndGrads(reference)([h, w, b]);
    const loss = fused.value.dataSync()[0];
    assert.ok(
      Math.abs(loss - plain.value.dataSync()[0]) < 1e-5,
      `loss ${loss} vs ${plain.value.dataSync()[0]}`,
    );
    assert.ok(loss > 0.5, 'the loss of random logits should be far from 0');
    fused.grads.forEach((g, i) => {
      const want = plain.grads[i].dataSync();
      const got = g.dataSync();
      assert.equal(got.length, want.length);
      got.forEach((v, j) =>
        assert.ok(Math.abs(v - want[j]) < 1e-5, `gradient ${i}[${j}]: ${v} vs ${want[j]}`),
      );
    });
  });

test('columnSums (bias gradients) equal TF.js sums over rows, on the kernel and the product path', () => {
  // 12 columns take the kernel's col_sums; 6 the ones-vector product.
  for (const [rows, cols] of [
    [7, 12],
    [2048, 16],
    [5, 6],
  ]) {
    const m = tf.tensor2d(
      ramp(rows, cols).map((v) => Math.sin(v)),
      [rows, cols],
    );
    const got = columnSums(m).dataSync();
    const want = tf.sum(m, 0).dataSync();
    assert.equal(got.length, cols);
    got.forEach((v, j) =>
      assert.ok(Math.abs(v - want[j]) < 1e-3, `[${rows}, ${cols}] column ${j}: ${v} vs ${want[j]}`),
    );
    m.dispose();
  }
});

test('Adam on the kernel gives the same bits as its TF.js ops (weight decay, lr scale, odd sizes)', () => {
  // Sizes 10 and 15: whole 4-float vectors and a scalar tail; the bias skips weight decay.
  const run = (fused: boolean) => {
    const before = process.env.SEQLAB_FUSED_CELLS;
    process.env.SEQLAB_FUSED_CELLS = fused ? '1' : '0';
    try {
      const params = new Map<string, tf.Variable>([
        [
          'layer_0/kernel',
          tf.variable(
            tf.tensor2d(
              ramp(3, 5).map((v) => Math.cos(v)),
              [3, 5],
            ),
          ),
        ],
        ['layer_0/bias', tf.variable(tf.tensor1d(ramp(1, 10).map((v) => Math.sin(v))))],
      ]);
      const o = new Optimizer({
        kind: 'adam',
        momentum: 0,
        weightDecay: 0.01,
        lrScale: { 'layer_0/bias': 2 },
      });
      for (let s = 1; s <= 3; s++)
        o.apply(
          params,
          new Map<string, tf.Tensor>([
            [
              'layer_0/kernel',
              tf.tensor2d(
                ramp(3, 5).map((v) => Math.sin(v * s)),
                [3, 5],
              ),
            ],
            ['layer_0/bias', tf.tensor1d(ramp(1, 10).map((v) => Math.cos(v * s) * 1e-3))],
          ]),
          0.01,
        );
      return [...params.values(), ...o.slots.values()].map((v) => Array.from(v.dataSync()));
    } finally {
      process.env.SEQLAB_FUSED_CELLS = before;
    }
  };
  const kernel = run(true);
  const ops = run(false);
  assert.equal(kernel.length, 6);
  assert.deepEqual(kernel, ops);
});

test('squaredNorms equals sum(t²) for each tensor', () => {
  const ts = [
    tf.tensor1d(ramp(1, 7)),
    tf.tensor2d(
      ramp(6, 4).map((v) => -v / 10),
      [6, 4],
    ),
  ];
  const got = squaredNorms(ts);
  const want = ts.map((t) => tf.sum(tf.square(t)).dataSync()[0]);
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-6 * want[i], `${v} vs ${want[i]}`));
});
