import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/wasm/backend';
import { cellKernel } from '../../src/engine/wasm/cellKernel';
import { contextProduct, kernelProduct, scoresProduct } from '../../src/engine/wasm/kernelProduct';
import { embeddingLookup } from '../../src/engine/model/heads';
import { smoothedCrossEntropy } from '../../src/engine/tasks/seq2seq/loss';
import { initSeq2seqWeights, Seq2seqModel, type Seq2seqShape } from '../../src/engine/tasks/seq2seq/model';

/**
 * The translator's fast path on the wasm training kernel (the fused label-smoothed head and the
 * kernel products) against the plain TF.js ops it replaces: SEQLAB_FUSED_CELLS=0 turns the kernel
 * off, so the same call computes the reference.
 */
before(async () => {
  await initBackend('wasm');
  assert.ok(cellKernel(), 'no cell kernel on wasm: these tests would compare the plain ops with themselves');
});

function withKernel<T>(on: boolean, fn: () => T): T {
  const before = process.env.SEQLAB_FUSED_CELLS;
  process.env.SEQLAB_FUSED_CELLS = on ? '1' : '0';
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.SEQLAB_FUSED_CELLS;
    else process.env.SEQLAB_FUSED_CELLS = before;
  }
}

const wave = (n: number, seed: number, scale = 2) =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * scale);

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let j = 0; j < got.length; j++)
    assert.ok(
      Math.abs(got[j] - want[j]) <= tol * (1 + Math.abs(want[j])),
      `${what}[${j}]: ${got[j]} vs ${want[j]}`,
    );
}

/** Loss and gradients of f over the inputs, with the kernel on or off. */
function lossAndGrads(on: boolean, f: (...x: tf.Tensor[]) => tf.Scalar, inputs: tf.Tensor[]) {
  return withKernel(on, () =>
    tf.tidy(() => {
      const r = tf.valueAndGrads(f)(inputs);
      return { loss: r.value.dataSync()[0], grads: r.grads.map((g) => g.dataSync().slice()) };
    }),
  );
}

// V = 11: the kernel pass's 3-lane tail and the logits product on XNNPACK; V = 12: all on gemm.
for (const V of [11, 12])
  for (const epsilon of [0, 0.1])
    test(`the fused label-smoothed head gives the reference loss and gradients (V ${V}, ε ${epsilon}, padded rows)`, () => {
      const [N, Hd] = [9, 8];
      // Rows 2, 5 and 8 are padding: they must neither count nor get a gradient.
      const targets = Int32Array.from({ length: N }, (_, i) => (i % 3 === 2 ? -1 : (i * 4 + 1) % V));
      const h = tf.tensor2d(wave(N * Hd, 1), [N, Hd]);
      const w = tf.tensor2d(wave(Hd * V, 2), [Hd, V]);
      const b = tf.tensor1d(wave(V, 3));
      const f = (hh: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        smoothedCrossEntropy(targets, V, epsilon)(hh as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D);
      const fused = lossAndGrads(true, f, [h, w, b]);
      const plain = lossAndGrads(false, f, [h, w, b]);
      assert.ok(plain.loss > 0.5, 'the loss of random logits should be far from 0');
      assertClose([fused.loss], [plain.loss], 1e-5, 'loss');
      fused.grads.forEach((g, i) => assertClose(g, plain.grads[i], 1e-5, `gradient ${i}`));
      // A padded row of h reaches the loss only through its (masked) logits: no gradient.
      for (const r of [2, 5, 8]) for (let j = 0; j < Hd; j++) assert.equal(fused.grads[0][r * Hd + j], 0);
      tf.dispose([h, w, b]);
    });

test('kernelProduct gives tf.matMul’s product and gradients (widths on gemm and off it)', () => {
  for (const [M, K, N] of [
    [10, 8, 12],
    [7, 6, 5],
  ]) {
    const x = tf.tensor2d(wave(M * K, 4), [M, K]);
    const w = tf.tensor2d(wave(K * N, 5), [K, N]);
    const weights = tf.tensor2d(wave(M * N, 6), [M, N]);
    const f = (xx: tf.Tensor, ww: tf.Tensor) =>
      tf.sum(tf.mul(tf.tanh(kernelProduct(xx as tf.Tensor2D, ww as tf.Tensor2D)), weights)) as tf.Scalar;
    const fused = lossAndGrads(true, f, [x, w]);
    const plain = lossAndGrads(false, f, [x, w]);
    assertClose([fused.loss], [plain.loss], 1e-5, `loss [${M}, ${K}]·[${K}, ${N}]`);
    fused.grads.forEach((g, i) => assertClose(g, plain.grads[i], 1e-5, `gradient ${i}`));
    tf.dispose([x, w, weights]);
  }
});

test('the kernel’s attention products (scores q·mᵀ, context α·m) give tf.matMul’s values and gradients', () => {
  const [B, T, S, H] = [3, 5, 7, 8];
  const q = tf.tensor3d(wave(B * T * H, 7), [B, T, H]);
  const m = tf.tensor3d(wave(B * S * H, 8), [B, S, H]);
  const alpha = tf.tensor3d(wave(B * T * S, 9), [B, T, S]);
  const wScores = tf.tensor3d(wave(B * T * S, 10), [B, T, S]);
  const wContext = tf.tensor3d(wave(B * T * H, 11), [B, T, H]);
  const f = (qq: tf.Tensor, mm: tf.Tensor, aa: tf.Tensor) =>
    tf.add(
      tf.sum(tf.mul(tf.tanh(scoresProduct(qq as tf.Tensor3D, mm as tf.Tensor3D)), wScores)),
      tf.sum(tf.mul(tf.tanh(contextProduct(aa as tf.Tensor3D, mm as tf.Tensor3D)), wContext)),
    ) as tf.Scalar;
  const fused = lossAndGrads(true, f, [q, m, alpha]);
  const plain = lossAndGrads(false, f, [q, m, alpha]);
  assertClose([fused.loss], [plain.loss], 1e-5, 'loss');
  fused.grads.forEach((g, i) => assertClose(g, plain.grads[i], 1e-5, `gradient ${['q', 'm', 'α'][i]}`));
  tf.dispose([q, m, alpha, wScores, wContext]);
});

test('the kernel’s embedding lookup gives the same rows and the same gradient bits as the JS scatter (repeated ids)', () => {
  const [V, E] = [9, 8];
  const ids = Int32Array.from([3, 0, 3, 8, 5, 3, 0]);
  const table = tf.tensor2d(wave(V * E, 12), [V, E]);
  const weights = tf.tensor2d(wave(ids.length * E, 13), [ids.length, E]);
  const f = (t: tf.Tensor) =>
    tf.sum(tf.mul(tf.tanh(embeddingLookup(ids, V)(t as tf.Tensor2D)), weights)) as tf.Scalar;
  const fused = lossAndGrads(true, f, [table]);
  const plain = lossAndGrads(false, f, [table]);
  assert.equal(fused.loss, plain.loss);
  assert.deepEqual(Array.from(fused.grads[0]), Array.from(plain.grads[0]));
  assert.ok(
    fused.grads[0].slice(3 * E, 4 * E).some((v) => v !== 0),
    'a looked-up row gets a gradient',
  );
  tf.dispose([table, weights]);
});

for (const attention of ['luong', 'bahdanau'] as const)
  test(`a translator's training loss and every parameter's gradient are the reference's on the fast path (${attention}, padding, ε 0.1)`, () => {
    const shape: Seq2seqShape = {
      model: {
        cell: 'lstm',
        activation: 'tanh',
        vocabSize: 20,
        embedding: 8,
        hidden: 16,
        layers: 2,
        dropout: 0,
      },
      sourceVocab: 18,
      options: { attention, score: 'general', bidirectional: true, bridge: 'state', tieEmbeddings: false },
    };
    const model = new Seq2seqModel(shape, initSeq2seqWeights(shape, 3, 'pytorch'));
    const [B, S, T] = [3, 5, 4];
    const srcLen = Int32Array.from([5, 2, 3]);
    const tgtLen = [4, 1, 3];
    const src = new Int32Array(S * B);
    const tgtIn = new Int32Array(T * B);
    const tgtOut = new Int32Array(T * B);
    for (let t = 0; t < S; t++)
      for (let b = 0; b < B; b++) src[t * B + b] = t < srcLen[b] ? 3 + ((t * 7 + b * 5) % 15) : 0;
    for (let t = 0; t < T; t++)
      for (let b = 0; b < B; b++) {
        tgtIn[t * B + b] = t < tgtLen[b] ? 3 + ((t * 5 + b * 3) % 17) : 0;
        tgtOut[t * B + b] = t < tgtLen[b] ? 3 + ((t * 11 + b) % 17) : -1;
      }
    const batch = { B, S, T, src, srcLen, tgtIn, tgtOut };
    const names = [...model.params.keys()];
    const run = (on: boolean) =>
      withKernel(on, () =>
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => model.loss(batch, 0.1, { training: false }));
          return {
            loss: value.dataSync()[0],
            grads: names.map((n) => grads[model.p(n).name].dataSync().slice()),
          };
        }),
      );
    const fused = run(true);
    const plain = run(false);
    assertClose([fused.loss], [plain.loss], 1e-5, 'loss');
    names.forEach((n, i) => {
      assert.ok(
        plain.grads[i].some((v) => v !== 0),
        `${n} should get a gradient`,
      );
      assertClose(fused.grads[i], plain.grads[i], 1e-4, n);
    });
    model.dispose();
  });
