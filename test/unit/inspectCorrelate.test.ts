import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { allUnits, rankUnits, unitName, unitSeries } from '../../src/engine/inspect/correlate';
import { FEATURE_NAMES, textFeatures, type FeatureName } from '../../src/engine/inspect/features';
import { Rng } from '../../src/engine/rng';
import { pearson, randomTrace } from '../helpers/traces';

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
  const trace = randomTrace(rng, n, H);
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
