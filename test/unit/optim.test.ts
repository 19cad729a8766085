import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/wasm/backend';
import { Optimizer } from '../../src/engine/optim';
import { DEFAULT_TRAIN_CONFIG } from '../../src/engine/config';
import { createOptimizer, exportSlots } from '../../src/engine/training/optimizer';

before(async () => {
  await initBackend('cpu');
});

function stepOnce(
  kind: 'adam' | 'sgd' | 'rmsprop',
  grad: number[],
  opts: { momentum?: number; weightDecay?: number } = {},
  steps = 1,
) {
  const p = new Map([
    ['layer_0/kernel', tf.variable(tf.tensor1d([1, -2, 3]))],
    ['layer_0/bias', tf.variable(tf.tensor1d([1, 1, 1]))],
  ]);
  const o = new Optimizer({ kind, momentum: opts.momentum ?? 0, weightDecay: opts.weightDecay ?? 0 });
  for (let i = 0; i < steps; i++)
    o.apply(
      p,
      new Map([
        ['layer_0/kernel', tf.tensor1d(grad)],
        ['layer_0/bias', tf.tensor1d(grad)],
      ]),
      0.1,
    );
  return {
    kernel: Array.from(p.get('layer_0/kernel')!.dataSync()),
    bias: Array.from(p.get('layer_0/bias')!.dataSync()),
  };
}

const close = (a: number[], b: number[]) => a.every((x, i) => Math.abs(x - b[i]) < 1e-5);

test('Adam: the first step moves each weight by lr·sign(g) (bias-corrected, as PyTorch)', () => {
  const r = stepOnce('adam', [0.5, -0.01, 2]);
  assert.ok(close(r.kernel, [0.9, -1.9, 2.9]), JSON.stringify(r.kernel));
});

test('SGD with momentum accumulates velocity; RMSprop divides by the running RMS', () => {
  const sgd = stepOnce('sgd', [1, 1, 1], { momentum: 0.9 }, 2);
  // v1 = g, v2 = 0.9 g + g = 1.9 g; total step 0.1 · (1 + 1.9) = 0.29.
  assert.ok(close(sgd.kernel, [0.71, -2.29, 2.71]), JSON.stringify(sgd.kernel));
  const rms = stepOnce('rmsprop', [1, 1, 1]);
  // sq = 0.01 g², step = lr · g / sqrt(sq) = 0.1 / 0.1 = 1.
  assert.ok(close(rms.kernel, [0, -3, 2]), JSON.stringify(rms.kernel));
});

test('decoupled weight decay shrinks kernels but not biases', () => {
  const r = stepOnce('sgd', [0, 0, 0], { weightDecay: 0.5 });
  assert.ok(close(r.kernel, [0.95, -1.9, 2.85]), JSON.stringify(r.kernel));
  assert.ok(close(r.bias, [1, 1, 1]));
});

test('Adam counts each parameter’s own steps: one that joins late takes lr·sign(g) first, and the count survives a checkpoint', () => {
  const p = new Map([
    ['a', tf.variable(tf.tensor1d([1, 1]))],
    ['b', tf.variable(tf.tensor1d([1, 1]))],
  ]);
  const o = new Optimizer({ kind: 'adam', momentum: 0, weightDecay: 0 });
  for (let i = 0; i < 10; i++) o.apply(p, new Map([['a', tf.tensor1d([0.3, -0.3])]]), 0.1);
  o.apply(p, new Map([['b', tf.tensor1d([0.5, -0.01])]]), 0.1);
  // As PyTorch: b's moments are fresh, so is its bias correction (the global count gave 0.048).
  assert.ok(close(Array.from(p.get('b')!.dataSync()), [0.9, 1.1]), JSON.stringify(p.get('b')!.dataSync()));
  const restored = createOptimizer(
    { ...DEFAULT_TRAIN_CONFIG, optimizer: 'adam' },
    {},
    exportSlots(o),
    o.step,
  );
  assert.equal(restored.paramSteps.get('a'), 10);
  assert.equal(restored.paramSteps.get('b'), 1);
  // A checkpoint from before per-parameter counts: its slots took every step.
  const legacy = createOptimizer(
    { ...DEFAULT_TRAIN_CONFIG, optimizer: 'adam' },
    {},
    exportSlots(o).filter((e) => !e.name.endsWith('/step')),
    o.step,
  );
  legacy.apply(p, new Map([['a', tf.tensor1d([0.3, -0.3])]]), 0.1);
  assert.equal(legacy.paramSteps.get('a'), 12);
  [o, restored, legacy].forEach((x) => x.dispose());
});
