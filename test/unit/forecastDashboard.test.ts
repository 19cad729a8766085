import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseHostMessage } from '../../src/dashboard/protocol';
import { addEvent, emptyPatch } from '../../src/dashboard/series';
import type { TrainEvent } from '../../src/engine/events';

const evalEvent = (step: number, mae: number) =>
  ({
    type: 'eval',
    time: 0,
    step,
    valLoss: 0.1,
    mae,
    rmse: mae * 1.2,
    naive_mae: 3,
    tokensSeen: 0,
  }) as unknown as TrainEvent;

const detail: TrainEvent = {
  type: 'forecastEval',
  time: 0,
  step: 20,
  mae: 0.5,
  rmse: 0.6,
  baselines: [
    { name: 'naive', mae: 3, rmse: 3.5 },
    { name: 'ar', mae: 0.7, rmse: 0.9 },
  ],
  series: { times: ['a', 'b'], actual: [1, 2], oneStep: [1.1, 1.9] },
  future: { times: ['b', '+1'], actual: [2], forecast: [2.2] },
  residuals: [-0.1, 0.1],
};

test("a forecaster run's evaluations reach the dashboard: MAE/RMSE columns, baselines, latest series", () => {
  const p = emptyPatch('r', true);
  addEvent(p, evalEvent(10, 0.9));
  addEvent(p, evalEvent(20, 0.5));
  addEvent(p, detail);
  assert.deepEqual(p.forecast!.evals, { step: [10, 20], mae: [0.9, 0.5], rmse: [0.9 * 1.2, 0.5 * 1.2] });
  assert.deepEqual(
    p.forecast!.baselines.map((b) => b.name),
    ['naive', 'ar'],
  );
  assert.equal(p.forecast!.latest!.step, 20);
  // No bits per character in a forecaster's evaluation: the column stays aligned with NaN.
  assert.equal(p.evals.bpc.length, 2);
  assert.ok(Number.isNaN(p.evals.bpc[0]));
  assert.ok(parseHostMessage({ type: 'series', patch: p }), 'the patch passes the protocol check');
  // What the webview receives: VS Code sends it as JSON, where the NaN became null.
  const sent = parseHostMessage(JSON.parse(JSON.stringify({ type: 'series', patch: p })) as unknown);
  assert.ok(sent?.type === 'series', 'the patch survives the JSON of postMessage');
  assert.ok(Number.isNaN(sent.patch.evals.bpc[1]));
  assert.deepEqual(sent.patch.forecast, p.forecast);
  // Only numbers may be missing: a null time label is still refused.
  const gap = JSON.parse(JSON.stringify({ type: 'series', patch: p })) as { patch: typeof p };
  (gap.patch.forecast!.latest!.series.times as unknown[])[0] = null;
  assert.equal(parseHostMessage(gap), undefined);
  const broken = { ...p, forecast: { ...p.forecast!, evals: { step: [1], mae: ['x'], rmse: [1] } } };
  assert.equal(parseHostMessage({ type: 'series', patch: broken }), undefined);
});
