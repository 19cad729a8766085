import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as path from 'path';

/**
 * Runs in a child process on the threaded wasm backend (SEQLAB_WASM_THREADS=2, whatever the core
 * count), so that the window kernels' helper thread exists. For each cell: the whole model's loss
 * and every parameter gradient, (a) with the window jobs split over two threads, (b) on one
 * thread, (c) with the embedding looked up as its own op instead of folded into layer 0.
 */
const script = (cells: string[]): string => `
  const tf = require('@tensorflow/tfjs');
  const r = (m) => require(${JSON.stringify(path.resolve(__dirname, '../../src/engine'))} + m);
  const { initBackend } = r('/wasm/backend');
  const { cellKernel, runWithoutHelper } = r('/wasm/cellKernel');
  const { LanguageModel, initWeights } = r('/model/model');
  const { TimestepGradRecorder } = r('/model/layers');
  (async () => {
    const info = await initBackend('wasm');
    const k = cellKernel();
    for (let i = 0; i < 200 && k.threads < 2; i++) await new Promise((res) => setTimeout(res, 50));
    const out = { backend: tf.getBackend(), threads: k.threads, fma: k.fma, cells: {} };
    for (const [cell, activation] of ${JSON.stringify(cells.map((c) => c.split('/')))}) {
      const config = { cell, activation, vocabSize: 11, embedding: 6, hidden: 8, layers: 2, dropout: 0 };
      const model = new LanguageModel(config, initWeights(config, 3));
      const T = 6, B = 5;
      const ids = Int32Array.from({ length: T * B }, (_, i) => (i * 7 + 3) % 11);
      const targets = Int32Array.from({ length: T * B }, (_, i) => (i * 5 + 1) % 11);
      const measure = (fold) => {
        const state = model.zeroState(B);
        const recorder = new TimestepGradRecorder();
        const vars = [...model.params.values()];
        const { value, grads } = tf.variableGrads(
          () => model.loss(ids, targets, T, B, state, { training: true, recorder, foldEmbedding: fold }, []),
          vars,
        );
        const g = vars.map((v) => Array.from(grads[v.name].dataSync()));
        const profile = recorder.read();
        return { loss: value.dataSync()[0], g, profile };
      };
      const run = (split, fold) => (split ? measure(fold) : runWithoutHelper(k, () => measure(fold)));
      out.cells[cell + '/' + activation] = { split: run(true, true), one: run(false, true), unfolded: run(false, false) };
    }
    // k.matMul against TF.js's: both transposes, odd row counts, widths that end in a partial
    // 16-column panel, K beyond one 256-row block, and a width gemm does not take (fallback).
    out.products = [];
    for (const [M, K, N] of [[7, 5, 20], [33, 300, 48], [2, 600, 36], [16, 9, 6], [1, 3, 4]])
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
        const a = tf.randomNormal(ta ? [K, M] : [M, K], 0, 1, 'float32', M + K);
        const b = tf.randomNormal(tb ? [N, K] : [K, N], 0, 1, 'float32', N + K);
        const want = tf.matMul(a, b, ta, tb).dataSync();
        const two = k.matMul(a, b, ta, tb).dataSync();
        const one = runWithoutHelper(k, () => k.matMul(a, b, ta, tb).dataSync());
        let diff = 0, same = true;
        for (let i = 0; i < want.length; i++) { diff = Math.max(diff, Math.abs(two[i] - want[i])); if (two[i] !== one[i]) same = false; }
        out.products.push({ shape: [M, K, N, ta, tb], diff, same, n: two.length === M * N });
      }
    console.log(JSON.stringify(out));
  })();
`;

interface Run {
  loss: number;
  g: number[][];
  profile: number[][];
}

// SEQLAB_FMA=0: the kernel variant with separate multiplies and adds (runtimes without relaxed
// SIMD get it); otherwise the fused multiply-add one, which Node 20 has behind a V8 flag that the
// engine sets.
for (const fma of ['1', '0'])
  test(`window kernels and products (SEQLAB_FMA=${fma}): two threads give the same bits as one, products match TF.js, and the folded embedding the same gradients as a lookup`, () => {
    const cells = ['lstm/tanh', 'gru/tanh', 'rnn/tanh', 'rnn/relu'];
    const stdout = execFileSync(process.execPath, ['-e', script(cells)], {
      encoding: 'utf8',
      env: { ...process.env, SEQLAB_WASM_THREADS: '2', SEQLAB_FMA: fma },
    });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as {
      backend: string;
      threads: number;
      fma: boolean;
      cells: Record<string, { split: Run; one: Run; unfolded: Run }>;
      products: { shape: unknown[]; diff: number; same: boolean; n: boolean }[];
    };
    assert.equal(r.fma, fma === '1', 'the kernel variant loaded');
    assert.equal(r.products.length, 20);
    for (const p of r.products) {
      const what = `k.matMul ${JSON.stringify(p.shape)}`;
      assert.ok(p.n, `${what}: wrong output size`);
      assert.ok(p.diff < 1e-3, `${what}: differs from tf.matMul by ${p.diff}`);
      assert.ok(p.same, `${what}: two threads and one differ`);
    }
    assert.equal(r.backend, 'wasm-mt');
    assert.equal(r.threads, 2, 'the window kernels never got their helper thread');
    for (const cell of cells) {
      const { split, one, unfolded } = r.cells[cell];
      assert.equal(split.loss, one.loss, `${cell}: loss differs between two threads and one`);
      assert.deepEqual(split.g, one.g, `${cell}: gradients differ between two threads and one`);
      assert.ok(
        Math.abs(one.loss - unfolded.loss) < 1e-6,
        `${cell}: folded loss ${one.loss} vs ${unfolded.loss}`,
      );
      one.g.forEach((g, i) => {
        const scale = Math.max(1e-3, ...unfolded.g[i].map(Math.abs));
        const diff = Math.max(...g.map((v, j) => Math.abs(v - unfolded.g[i][j])));
        assert.ok(
          diff < 1e-4 * scale,
          `${cell}: parameter ${i} gradient differs by ${diff} (scale ${scale})`,
        );
      });
      assert.ok(
        one.g.every((g) => g.some((v) => v !== 0)),
        `${cell}: a gradient is all zeros`,
      );
      // ‖∂L_T/∂h_t‖ per layer and step: each thread sums its own rows, so only rounding may differ.
      assert.equal(split.profile.length, 2);
      split.profile.flat().forEach((v, i) => {
        const w = one.profile.flat()[i];
        assert.ok(v > 0 && Math.abs(v - w) <= 1e-5 * w, `${cell}: profile value ${i}: ${v} vs ${w}`);
      });
    }
  });
