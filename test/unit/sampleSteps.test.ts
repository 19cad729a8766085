import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseHostMessage, parseWebviewMessage } from '../../src/dashboard/protocol';
import { SAMPLED_POINTS, sampleIndices, sampleSteps } from '../../src/dashboard/sampleSteps';
import { patchFromJsonl } from '../../src/dashboard/series';
import { stepsCsv } from '../../src/dashboard/stepsCsv';

/** A metrics.jsonl of `steps` steps (a noisy falling loss, a gradient spike) with an eval every `every`. */
function jsonl(steps: number, every: number): string {
  const lines: string[] = [];
  for (let i = 1; i <= steps; i++) {
    const loss = 1 + 2 * Math.exp(-i / 2000) + 0.05 * Math.sin(i * 1.7) + (i === 7777 ? 3 : 0);
    const grad = i === 4321 ? 90 : 0.5 + 0.1 * Math.cos(i * 0.9);
    lines.push(
      JSON.stringify({
        type: 'step',
        time: i,
        step: i,
        epoch: 0,
        loss,
        gradNorm: grad,
        clipped: false,
        lr: 0.002,
        tokensPerSec: 4000,
        tokensSeen: i * 64,
        elapsedSeconds: i / 100,
        layerGradNorms: { layer_0: grad / 2 },
      }),
    );
    // Evals at steps that are no bucket's extreme, so only the eval rule keeps them.
    if (i % every === 3)
      lines.push(
        JSON.stringify({
          type: 'eval',
          time: i,
          step: i,
          valLoss: loss,
          bpc: loss / Math.LN2,
          tokensSeen: i * 64,
        }),
      );
  }
  return lines.join('\n') + '\n';
}

test('sampling a long run keeps the first and last steps, every eval step and each bucket’s min and max', () => {
  const full = patchFromJsonl('r', jsonl(10_000, 500));
  const n = full.steps.step.length;
  const s = sampleSteps(full);
  assert.equal(s.sampledFrom, n);
  const kept = s.steps.step;
  assert.ok(kept.length <= SAMPLED_POINTS + full.evals.step.length + 2, `${kept.length} points`);
  assert.ok(kept.length >= SAMPLED_POINTS / 2, `${kept.length} points`);
  assert.equal(kept[0], 1);
  assert.equal(kept[kept.length - 1], 10_000);
  for (const e of full.evals.step) assert.ok(kept.includes(e), `eval step ${e} kept`);
  assert.deepEqual(s.evals, full.evals);
  // Columns stay aligned and in step order: each kept row is the full run's row at that step.
  assert.deepEqual(
    [...kept].sort((a, b) => a - b),
    kept,
  );
  for (let k = 0; k < kept.length; k++) {
    const i = kept[k] - 1;
    assert.equal(s.steps.loss[k], full.steps.loss[i]);
    assert.equal(s.steps.tokensSeen[k], full.steps.tokensSeen[i]);
    assert.equal(s.steps.layerNorms.layer_0[k], full.steps.layerNorms.layer_0[i]);
  }
  // The spikes survive, and every bucket's loss and gradient min and max are there.
  assert.ok(kept.includes(7777) && kept.includes(4321));
  const buckets = SAMPLED_POINTS / 4;
  const size = n / buckets;
  const at = new Set(kept);
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor(b * size);
    const hi = Math.floor((b + 1) * size);
    for (const col of [full.steps.loss, full.steps.gradNorm]) {
      const slice = col.slice(lo, hi);
      const iMin = lo + slice.indexOf(Math.min(...slice));
      const iMax = lo + slice.indexOf(Math.max(...slice));
      assert.ok(at.has(full.steps.step[iMin]) && at.has(full.steps.step[iMax]), `bucket ${b}`);
    }
  }
});

test('a short run is sent whole; NaN gaps are never a bucket’s extreme', () => {
  const short = patchFromJsonl('r', jsonl(300, 50));
  assert.equal(sampleSteps(short), short);
  assert.equal(short.sampledFrom, undefined);
  assert.deepEqual(sampleIndices(6, [[NaN, 5, 1, NaN, 2, 9]], new Set(), 2), [0, 1, 2, 4, 5]);
  assert.deepEqual(sampleIndices(6, [[3, 3, 3, 3, 3, 3]], new Set([3]), 3), [0, 2, 3, 4, 5]);
});

test('a thinned patch crosses the protocol; the host can still export every step exactly', () => {
  const text = jsonl(10_000, 500);
  const s = sampleSteps(patchFromJsonl('r', text));
  assert.ok(parseHostMessage(JSON.parse(JSON.stringify({ type: 'series', patch: s }))));
  assert.equal(parseHostMessage({ type: 'series', patch: { ...s, sampledFrom: 'x' } }), undefined);
  const m = parseWebviewMessage({ type: 'exportSteps', runs: [{ id: 'r', label: 'LSTM' }], smoothing: 0.6 });
  assert.deepEqual(m, { type: 'exportSteps', runs: [{ id: 'r', label: 'LSTM' }], smoothing: 0.6 });
  assert.equal(parseWebviewMessage({ type: 'exportSteps', runs: [{ id: 1 }], smoothing: 0.6 }), undefined);
  assert.equal(parseWebviewMessage({ type: 'exportSteps', runs: [], smoothing: 2 }), undefined);
  const csv = stepsCsv([{ label: 'LSTM', p: patchFromJsonl('r', text) }], 0.6)
    .trimEnd()
    .split('\r\n');
  assert.equal(csv.length, 10_001);
  assert.equal(csv[0], 'run,step,tokens_seen,elapsed_s,loss,loss_smoothed,grad_norm,clipped,lr,tokens_per_s');
  assert.ok(csv[10_000].startsWith('LSTM,10000,640000,100,'));
});
