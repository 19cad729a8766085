import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseHostMessage } from '../../src/dashboard/protocol';
import { patchFromJsonl } from '../../src/dashboard/series';

const lines = [
  {
    type: 'step',
    time: 1,
    step: 1,
    epoch: 0,
    loss: 0.7,
    gradNorm: 1,
    layerGradNorms: { classifier: 1 },
    clipped: false,
    lr: 1e-3,
    tokensPerSec: 100,
    tokensSeen: 10,
    elapsedSeconds: 1,
  },
  { type: 'eval', time: 2, step: 1, valLoss: 0.6, accuracy: 0.5, macro_f1: 0.4, tokensSeen: 10 },
  {
    type: 'classifyEval',
    time: 2,
    step: 1,
    labels: ['neg', 'pos'],
    accuracy: 0.5,
    macro_f1: 0.4,
    precision: [0.5, 0.5],
    recall: [1, 0],
    confusion: [
      [1, 0],
      [1, 0],
    ],
    baselines: [{ name: 'majority', accuracy: 0.5, macro_f1: 0.33 }],
    misclassified: [
      { text: '<b>not html</b>', source: 'pos/a.txt', truth: 'pos', predicted: 'neg', probability: 0.6 },
    ],
  },
];

test("a classifier run's series reach the dashboard: its evaluations, confusion matrix and mistakes", () => {
  const patch = patchFromJsonl('r1', lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  assert.ok(parseHostMessage({ type: 'series', patch }), 'the patch as the host builds it is valid');
  // VS Code posts to the webview as JSON, which writes the NaN of the missing bpc as null: the
  // patch must still arrive (it was dropped, and a classifier's dashboard stayed empty).
  const m = parseHostMessage(JSON.parse(JSON.stringify({ type: 'series', patch })) as unknown);
  assert.ok(m && m.type === 'series', 'the patch of a run without bits per character arrives');
  assert.equal(m.patch.evals.loss[0], 0.6);
  assert.ok(Number.isNaN(m.patch.evals.bpc[0]));
  assert.equal(m.patch.classify?.[0].confusion[1][0], 1);
  assert.equal(m.patch.classify?.[0].misclassified[0].text, '<b>not html</b>');
  const bad = { ...patch, classify: [{ ...patch.classify![0], confusion: [['x']] }] };
  assert.equal(parseHostMessage({ type: 'series', patch: bad }), undefined);
});
