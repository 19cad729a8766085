import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/wasm/backend';
import type { CellKind, ModelConfig } from '../../src/engine/config';
import { makeBatch } from '../../src/engine/tasks/classify/batch';
import { ClassifierNet, initClassifierWeights } from '../../src/engine/tasks/classify/model';
import { ClassifierSpec, Pooling, POOLINGS } from '../../src/engine/tasks/classify/spec';
import { Rng } from '../../src/engine/rng';

/** Runs `fn` on the given backend, then restores wasm (the other tests' backend). */
async function onBackend(name: 'cpu' | 'wasm', fn: () => void): Promise<void> {
  await initBackend(name);
  try {
    fn();
  } finally {
    await initBackend('wasm');
  }
}

before(async () => {
  await initBackend('wasm');
});
after(async () => {
  await initBackend('wasm');
});

function net(
  cell: CellKind,
  pooling: Pooling,
  bidirectional: boolean,
  H = 8,
  layers = 2,
  seed = 3,
): ClassifierNet {
  const c: ModelConfig = {
    cell,
    activation: 'tanh',
    vocabSize: 11,
    embedding: 6,
    hidden: H,
    layers,
    dropout: 0,
  };
  const spec: ClassifierSpec = { labels: ['a', 'b', 'c'], bidirectional, pooling, maxLen: 0, keep: 'head' };
  return new ClassifierNet(c, spec, initClassifierWeights(c, spec, seed));
}

const seqA = Int32Array.from([1, 4, 2, 7, 3]);
const seqB = Int32Array.from([5, 9, 2]);

/** Logits and gradients of the loss for example A (padded to T by a longer partner) and B. */
function logitsAndGrads(n: ClassifierNet, padTo: number, fused?: boolean) {
  const partner = Int32Array.from({ length: padTo }, (_, i) => 1 + (i % 10));
  const b = makeBatch([seqA, seqB, partner], [0, 2, 1]);
  const opts = { training: false, fused };
  const logits = tf.tidy(() => n.logits(b, opts).slice([0, 0], [2, 3]).arraySync() as number[][]);
  const vars = [...n.params.values()];
  // Only A's and B's losses: the partner's gradient legitimately depends on its own length.
  const { grads } = tf.variableGrads(() => {
    const l = n.logits(b, opts);
    const lp = tf.logSoftmax(l.slice([0, 0], [2, 3]));
    return tf.neg(tf.sum(tf.mul(lp, tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3)))) as tf.Scalar;
  }, vars);
  const g = Object.fromEntries(
    [...n.params].map(([name, v]) => [name, Array.from(grads[v.name].dataSync())]),
  );
  tf.dispose(Object.values(grads));
  return { logits, g };
}

function close(a: number[], b: number[], tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++)
    assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

for (const fused of [true, false])
  for (const bidirectional of [false, true])
    for (const pooling of POOLINGS)
      test(`padding changes nothing: ${bidirectional ? 'bidirectional ' : ''}${pooling} pooling, ${fused ? 'wasm kernel' : 'TF.js layers'}`, () => {
        const n = net('lstm', pooling, bidirectional);
        try {
          const short = logitsAndGrads(n, 5, fused);
          const long = logitsAndGrads(n, 12, fused);
          close(long.logits.flat(), short.logits.flat(), 1e-6, 'logits');
          for (const name of Object.keys(short.g)) close(long.g[name], short.g[name], 1e-5, `grad ${name}`);
        } finally {
          n.dispose();
        }
      });

test('the wasm kernel path and the TF.js layers agree (bidirectional GRU, attention)', () => {
  const n = net('gru', 'attention', true);
  try {
    const a = logitsAndGrads(n, 7, true);
    const b = logitsAndGrads(n, 7, false);
    close(a.logits.flat(), b.logits.flat(), 1e-4, 'logits');
    for (const name of Object.keys(a.g)) close(a.g[name], b.g[name], 1e-3, `grad ${name}`);
  } finally {
    n.dispose();
  }
});

for (const [cell, pooling] of [
  ['lstm', 'attention'],
  ['gru', 'max'],
  ['rnn', 'last'],
  ['lstm', 'mean'],
] as [CellKind, Pooling][])
  test(`gradients equal finite differences: bidirectional ${cell}, ${pooling} pooling, masked batch`, async () => {
    await onBackend('cpu', () => {
      const n = net(cell, pooling, true, 5, 2, 7);
      try {
        const b = makeBatch([seqA, seqB, Int32Array.from([3])], [0, 2, 1]);
        const lossOf = () => n.loss(b, { training: false, fused: false });
        const vars = [...n.params.values()];
        const { grads } = tf.variableGrads(lossOf, vars);
        const rng = new Rng(11);
        const eps = 1e-3;
        for (const [name, v] of n.params) {
          const g = grads[v.name].dataSync();
          const base = v.dataSync().slice();
          for (let k = 0; k < 3; k++) {
            const i = Math.floor(rng.next() * base.length);
            const at = (d: number) => {
              const w = base.slice();
              w[i] += d;
              v.assign(tf.tensor(w, v.shape));
              return tf.tidy(() => lossOf().dataSync()[0]);
            };
            const fd = (at(eps) - at(-eps)) / (2 * eps);
            v.assign(tf.tensor(base, v.shape));
            assert.ok(
              Math.abs(fd - g[i]) < 2e-3 + 2e-2 * Math.abs(fd),
              `${name}[${i}]: autodiff ${g[i]} vs finite difference ${fd}`,
            );
          }
        }
        tf.dispose(Object.values(grads));
      } finally {
        n.dispose();
      }
    });
  });

test('a tiny set overfits', async () => {
  const n = net('lstm', 'mean', true, 16, 1, 5);
  try {
    const rng = new Rng(2);
    const seqs = Array.from({ length: 12 }, (_, i) =>
      Int32Array.from({ length: 3 + (i % 5) }, () => 1 + Math.floor(rng.next() * 10)),
    );
    const labels = seqs.map((_, i) => i % 3);
    const b = makeBatch(seqs, labels);
    const opt = tf.train.adam(0.05);
    let loss = Infinity;
    for (let s = 0; s < 150 && loss > 0.02; s++) {
      const l = opt.minimize(() => n.loss(b, { training: false }), true, [...n.params.values()]) as tf.Scalar;
      loss = l.dataSync()[0];
      l.dispose();
    }
    assert.ok(loss < 0.05, `loss ${loss} after training on 12 examples`);
    const pred = tf.tidy(() => tf.argMax(n.logits(b, { training: false }), 1).arraySync() as number[]);
    assert.deepEqual(pred, labels);
    opt.dispose();
  } finally {
    n.dispose();
  }
});
