import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseHostMessage, parseWebviewMessage } from '../../src/dashboard/protocol';
import {
  addEvent,
  downsampleMinMax,
  ema,
  emptyPatch,
  patchFromJsonl,
  seriesKey,
  toCsv,
} from '../../src/dashboard/series';

test('protocol: well-formed messages pass, malformed ones are rejected', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'stopRun', runId: 'r1' }), { type: 'stopRun', runId: 'r1' });
  assert.deepEqual(parseWebviewMessage({ type: 'ready', selected: ['a'] }), {
    type: 'ready',
    selected: ['a'],
  });
  assert.deepEqual(parseWebviewMessage({ type: 'ready', selected: [1] }), { type: 'ready', selected: [] });
  assert.deepEqual(parseWebviewMessage({ type: 'select', runIds: ['a', 'b'], extra: 1 }), {
    type: 'select',
    runIds: ['a', 'b'],
  });
  for (const bad of [
    null,
    'ready',
    [],
    { type: 'stopRun' },
    { type: 'stopRun', runId: 3 },
    { type: 'select', runIds: [1] },
    { type: 'openCheckpoint' },
    { type: 'eval', code: 'x' },
  ])
    assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
  assert.ok(parseWebviewMessage({ type: 'saveFile', name: 'seqlab-runs.csv', kind: 'csv', data: 'a,b\r\n' }));
  assert.ok(parseWebviewMessage({ type: 'saveFile', name: 'loss.png', kind: 'png', data: 'iVBORw0KGgo=' }));
  for (const bad of [
    { type: 'saveFile', name: '../../etc/passwd', kind: 'csv', data: 'x' },
    { type: 'saveFile', name: 'a.csv', kind: 'exe', data: 'x' },
    { type: 'saveFile', name: 'a.png', kind: 'png', data: '<script>' },
  ])
    assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
  const patch = emptyPatch('r', true);
  addEvent(patch, {
    type: 'step',
    time: 0,
    step: 1,
    epoch: 0,
    loss: 2,
    gradNorm: 1,
    layerGradNorms: {},
    clipped: false,
    lr: 0.1,
    tokensPerSec: 5,
    tokensSeen: 10,
    elapsedSeconds: 1,
  });
  assert.ok(parseHostMessage({ type: 'series', patch }));
  assert.equal(
    parseHostMessage({ type: 'series', patch: { ...patch, steps: { ...patch.steps, loss: [] } } }),
    undefined,
    'ragged columns',
  );
  assert.equal(
    parseHostMessage({ type: 'series', patch: { ...patch, samples: [{ step: 1, text: 5 }] } }),
    undefined,
  );
  assert.equal(
    parseHostMessage({ type: 'runs', runs: [{ id: 'x' }], selected: [], training: [] }),
    undefined,
  );
});

test('EMA: weight 0 is the raw series; debiased so it starts at the first value; smooths a step', () => {
  assert.deepEqual(ema([1, 2, 3], 0), [1, 2, 3]);
  const s = ema([4, 4, 4, 0, 0, 0], 0.5);
  assert.equal(s[0], 4);
  assert.ok(Math.abs(s[2] - 4) < 1e-12);
  assert.ok(s[3] > 0 && s[3] < 4 && s[4] < s[3] && s[5] < s[4], JSON.stringify(s));
});

test('downsampling keeps each bucket’s min and max, so a single spike survives', () => {
  const n = 100_000;
  const x = Array.from({ length: n }, (_, i) => i);
  const y = x.map((i) => Math.sin(i / 1000));
  y[54_321] = 50;
  y[77_777] = -50;
  const d = downsampleMinMax(x, y, 500);
  assert.ok(d.x.length <= 1000 && d.x.length >= 500);
  assert.ok(d.y.includes(50) && d.y.includes(-50));
  assert.ok(
    d.x.every((v, i) => i === 0 || v > d.x[i - 1]),
    'x stays increasing',
  );
  assert.equal(Math.max(...d.y), 50);
  const small = downsampleMinMax([1, 2, 3], [3, 2, 1], 10);
  assert.deepEqual(small, { x: [1, 2, 3], y: [3, 2, 1] });
});

test('CSV export quotes what needs quoting and pads ragged columns', () => {
  const csv = toCsv(
    ['step', 'loss', 'note'],
    [
      [1, 2],
      [0.5, 0.25],
      ['a,b', 'say "hi"'],
    ],
  );
  assert.equal(csv, 'step,loss,note\r\n1,0.5,"a,b"\r\n2,0.25,"say ""hi"""\r\n');
  assert.equal(toCsv(['a', 'b'], [[1, 2], [3]]), 'a,b\r\n1,3\r\n2,\r\n');
});

test('metrics.jsonl becomes columns; a torn last line is skipped', () => {
  const lines = [
    { type: 'start', time: 0 },
    {
      type: 'step',
      time: 1,
      step: 1,
      epoch: 0,
      loss: 3,
      gradNorm: 2,
      layerGradNorms: {},
      clipped: true,
      lr: 0.01,
      tokensPerSec: 100,
      tokensSeen: 64,
      elapsedSeconds: 0.5,
    },
    { type: 'eval', time: 2, step: 1, valLoss: 2.5, perplexity: 12, bpc: 3.6, tokensSeen: 64 },
    { type: 'timestepGradients', time: 3, step: 1, norms: [[1, 0.5]] },
    { type: 'sample', time: 4, step: 1, prime: 'ab', text: 'cd' },
    {
      type: 'checkpoint',
      time: 5,
      step: 1,
      name: 'step-1',
      path: '/x',
      valLoss: 2.5,
      best: true,
      reason: 'best',
    },
  ].map((e) => JSON.stringify(e));
  const p = patchFromJsonl('r', lines.join('\n') + '\n{"type":"step","ste');
  assert.deepEqual(p.steps.loss, [3]);
  assert.deepEqual(p.steps.clipped, [1]);
  assert.deepEqual(p.evals, { step: [1], loss: [2.5], bpc: [3.6] });
  assert.deepEqual(p.timestepGradients, [{ step: 1, norms: [[1, 0.5]] }]);
  assert.deepEqual(p.samples, [{ step: 1, text: 'abcd' }]);
  assert.deepEqual(p.checkpoints, [{ step: 1, path: '/x' }]);
});

test('a chart is rebuilt when a run keeps its label but changes colour', () => {
  // Selecting [forecaster, classifier] drew the classifier orange (second colour); deselecting
  // the forecaster made it blue everywhere but in the accuracy chart, which only swapped data.
  const line = (stroke: string) => [{ label: 'LSTM 1×64 · 114502 accuracy', stroke }];
  assert.notEqual(seriesKey(line('#d18616')), seriesKey(line('#3794ff')));
  assert.equal(seriesKey(line('#3794ff')), seriesKey(line('#3794ff')));
  assert.notEqual(seriesKey([{ label: 'a' }]), seriesKey([{ label: 'b' }]));
});
