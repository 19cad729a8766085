import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ModelConfig } from '../../src/engine/config';
import { allUnits, rankUnits, unitName, unitSeries } from '../../src/engine/inspect/correlate';
import { FEATURE_NAMES, textFeatures, type FeatureName } from '../../src/engine/inspect/features';
import { TOP_K, type ModelTrace } from '../../src/engine/inspect/trace';
import { Rng } from '../../src/engine/rng';

/** Pearson's r of two series, straight from its definition. */
function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) [mx, my] = [mx + x[i] / n, my + y[i] / n];
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

test('unit ranking equals Pearson r computed directly, for run-shaped and jumpy features alike', () => {
  const rng = new Rng(4);
  const text = [
    'function f(a, b) {',
    '  // add "them"',
    '  if (a) { return [a, b]; }',
    "  const s = 'x (y)';",
    '}',
    '',
  ]
    .join('\n')
    .repeat(9);
  const n = text.length;
  const H = 6;
  const config: ModelConfig = {
    cell: 'lstm',
    activation: 'tanh',
    vocabSize: 40,
    embedding: 4,
    hidden: H,
    layers: 2,
    dropout: 0,
  };
  const series = () => Float32Array.from({ length: n * H }, () => Math.tanh(3 * (rng.next() - 0.5)));
  const trace: ModelTrace = {
    config,
    tokens: new Int32Array(n),
    hidden: [series(), series()],
    cell: [series(), series()],
    surprisal: new Float32Array(n),
    topIds: new Int32Array(n * TOP_K),
    topProbs: new Float32Array(n * TOP_K),
  };
  const features = textFeatures(text);
  // A feature that changes at nearly every position: summed position by position.
  features.regex = Float32Array.from({ length: n }, () => Math.floor(rng.next() * 3));
  // One unit follows the line position closely, so that the ranking has a clear leader.
  for (let t = 0; t < n; t++)
    trace.hidden[1][t * H + 3] = features.positionInLine[t] / 30 + 0.01 * rng.next();
  const ranking = rankUnits(trace, features, 100);
  assert.deepEqual(
    ranking.map((r) => r.feature),
    [...FEATURE_NAMES],
  );
  for (const { feature, top } of ranking) {
    const want = allUnits(trace)
      .map((u) => ({ unit: unitName(u), r: pearson(unitSeries(trace, u), features[feature as FeatureName]) }))
      .sort((x, y) => Math.abs(y.r) - Math.abs(x.r));
    assert.equal(top.length, want.length);
    for (const got of top) {
      const r = want.find((w) => w.unit === got.unit)!.r;
      assert.ok(Math.abs(got.r - r) < 1e-9, `${feature} ${got.unit}: ${got.r} vs ${r}`);
    }
    assert.equal(top[0].unit, want[0].unit, feature);
  }
  assert.equal(ranking.find((r) => r.feature === 'positionInLine')!.top[0].unit, 'h1.3');
});
