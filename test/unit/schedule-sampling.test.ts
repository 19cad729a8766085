import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { pickToken } from '../../src/engine/inference/stepModel';
import { learningRate } from '../../src/engine/optim';
import { Rng } from '../../src/engine/rng';

const base = { lr: 1, warmupSteps: 0, totalSteps: 100, decaySteps: 10, decayRate: 0.5 };

test('learning-rate schedules: constant, warm-up, cosine and step decay', () => {
  assert.equal(learningRate({ ...base, kind: 'constant' }, 50), 1);
  const warm = { ...base, kind: 'constant' as const, warmupSteps: 10 };
  assert.equal(learningRate(warm, 1), 0.1);
  assert.equal(learningRate(warm, 10), 1);
  const cos = { ...base, kind: 'cosine' as const, warmupSteps: 10 };
  assert.equal(learningRate(cos, 10), 1);
  assert.ok(Math.abs(learningRate(cos, 55) - 0.55) < 1e-9, 'half way: 0.1 + 0.9 · 0.5');
  assert.ok(Math.abs(learningRate(cos, 100) - 0.1) < 1e-9, 'ends at 10% of the peak');
  const stepped = { ...base, kind: 'step' as const };
  assert.equal(learningRate(stepped, 9), 1);
  assert.equal(learningRate(stepped, 10), 0.5);
  assert.equal(learningRate(stepped, 25), 0.25);
});

test('cosine over a time budget: the rate decays with the seconds spent, or the steps, whichever is further along', () => {
  const timed = { ...base, kind: 'cosine' as const, totalSteps: 0, totalSeconds: 300 };
  assert.equal(learningRate(timed, 5, 0), 1);
  assert.ok(Math.abs(learningRate(timed, 5, 150) - 0.55) < 1e-9, 'half the time: 0.1 + 0.9 · 0.5');
  assert.ok(Math.abs(learningRate(timed, 5, 300) - 0.1) < 1e-9, 'ends at 10% of the peak');
  assert.ok(Math.abs(learningRate(timed, 5, 400) - 0.1) < 1e-9, 'and stays there past the budget');
  const both = { ...timed, totalSteps: 100 };
  assert.ok(Math.abs(learningRate(both, 50, 30) - 0.55) < 1e-9, 'steps further along than time');
  assert.ok(Math.abs(learningRate(both, 10, 300) - 0.1) < 1e-9, 'time further along than steps');
  // Neither budget: nothing to decay over, so the rate holds.
  assert.equal(learningRate({ ...timed, totalSeconds: 0 }, 5, 150), 1);
});

test('sampling: greedy at temperature 0, top-k and top-p restrict the choice, <unk> is never drawn', () => {
  const logits = Float32Array.from([5, 1, 4, 3, 0]);
  const rng = new Rng(3);
  assert.equal(pickToken(logits, { temperature: 0, topK: 0, topP: 0 }, rng), 0);
  assert.equal(pickToken(logits, { temperature: 0, topK: 0, topP: 0 }, rng, 0), 2, 'excluded id skipped');
  const seen = (o: { temperature: number; topK: number; topP: number }, exclude = -1) => {
    const s = new Set<number>();
    for (let i = 0; i < 2000; i++) s.add(pickToken(logits, o, rng, exclude));
    return [...s].sort();
  };
  assert.deepEqual(seen({ temperature: 1, topK: 2, topP: 0 }), [0, 2]);
  // p ∝ e^5, e^4, e^3, …: the top two hold ~0.90 of the mass, so top-p 0.8 keeps exactly them.
  assert.deepEqual(seen({ temperature: 1, topK: 0, topP: 0.8 }), [0, 2]);
  assert.deepEqual(seen({ temperature: 5, topK: 0, topP: 0 }, 4), [0, 1, 2, 3]);
});
