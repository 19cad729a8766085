import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ModelConfig } from '../../src/engine/config';
import { FastInferenceModel } from '../../src/engine/inference/fastModel';
import { allUnits, parseUnit, rankUnits, unitName, unitSeries } from '../../src/engine/inspect/correlate';
import { FEATURE_NAMES, textFeatures, type FeatureName } from '../../src/engine/inspect/features';
import { inspectText } from '../../src/engine/inspect/inspectText';
import { spark, SPARK_POINTS, unitsView } from '../../src/engine/inspect/summary';
import type { ModelTrace } from '../../src/engine/inspect/trace';
import { featureSums, sumPlan, unitSumsKernelAvailable } from '../../src/engine/inspect/unitSums';
import { initWeights } from '../../src/engine/model/model';
import { Rng } from '../../src/engine/rng';
import { CharTokenizer } from '../../src/engine/tokenizers';
import { sampleText } from '../helpers/util';
import { pearson, randomTrace } from '../helpers/traces';

/** Code-like text of n characters: strings, comments, brackets, indentation, empty lines. */
function code(n: number): string {
  const lines = [
    'function f(a, b) {',
    '  // add "them"',
    '',
    '    if (a) { return [a, (b)]; }',
    "  s = 'x (y)';",
    '}',
  ];
  let out = '';
  for (let i = 0; out.length < n; i++) out += lines[(i * 5) % lines.length] + '\n';
  return out.slice(0, n);
}

/** Every unit's r against every feature, by `pearson`, and the order a stable sort by |r| gives. */
function assertRankingIsPearson(
  trace: ModelTrace,
  features: Record<FeatureName, Float32Array>,
  what: string,
): void {
  const units = allUnits(trace);
  const ranking = rankUnits(trace, features, units.length);
  assert.ok(ranking.length >= 5, `${what}: ${ranking.length} features vary`);
  for (const { feature, top } of ranking) {
    const want = units
      .map((u) => ({ unit: unitName(u), r: pearson(unitSeries(trace, u), features[feature]) }))
      .filter((w) => Number.isFinite(w.r))
      .sort((x, y) => Math.abs(y.r) - Math.abs(x.r));
    assert.equal(top.length, want.length, `${what} ${feature}: units ranked`);
    for (let i = 0; i < top.length; i++) {
      assert.ok(
        Math.abs(top[i].r - want[i].r) < 1e-9,
        `${what} ${feature} #${i}: ${JSON.stringify(top[i])} vs ${JSON.stringify(want[i])}`,
      );
      // Two units a rounding apart may swap places; any other difference is a wrong ranking.
      if (top[i].unit !== want[i].unit) assert.ok(Math.abs(Math.abs(top[i].r) - Math.abs(want[i].r)) < 1e-9);
    }
  }
}

test('the unit sums equal plain sums on both paths: padding, several chunks, long and jumpy features, marks', () => {
  assert.ok(unitSumsKernelAvailable(), 'no SIMD kernel here: the fast path would not be tested');
  const rng = new Rng(11);
  // 7 columns (padded to 8 in the kernel), 1,100 rows (several of its chunks, a partial last one).
  const n = 1100;
  const H = 7;
  const x = Float32Array.from({ length: n * H }, () => Math.tanh(4 * (rng.next() - 0.5)));
  const text = textFeatures(code(n));
  const feats = [
    text.positionInLine,
    text.bracketDepth,
    text.inString,
    // Constant for hundreds of positions, then rising: runs longer than a segment.
    Float32Array.from({ length: n }, (_, t) => (t < 700 ? 3 : t - 690)),
    // Changes at nearly every position: summed position by position.
    Float32Array.from({ length: n }, () => Math.floor(rng.next() * 5) - 2),
  ];
  // Marks at the first position, inside a segment, at a run's end and at the end.
  const marks = [1, 37, 700, n];
  const plan = sumPlan(feats, n, marks);
  assert.equal(plan.direct.length, 1, 'the jumpy feature has no affine runs');
  for (const simd of [true, false]) {
    const got = featureSums(x, H, plan, simd);
    for (let j = 0; j < H; j++) {
      let s = 0;
      let s2 = 0;
      for (let t = 0; t < n; t++) [s, s2] = [s + x[t * H + j], s2 + x[t * H + j] ** 2];
      const close = (a: number, b: number, what: string) =>
        assert.ok(
          Math.abs(a - b) <= 1e-9 * (1 + Math.abs(b)),
          `simd ${simd} ${what} column ${j}: ${a} vs ${b}`,
        );
      close(got.s[j], s, 'Σx');
      close(got.s2[j], s2, 'Σx²');
      marks.forEach((m, i) => {
        let before = 0;
        for (let t = 0; t < m; t++) before += x[t * H + j];
        close(got.marked[i * H + j], before, `Σx before ${m}`);
      });
      feats.forEach((f, k) => {
        let d = 0;
        for (let t = 0; t < n; t++) d += f[t] * x[t * H + j];
        close(got.dot[k * H + j], d, `Σf${k}·x`);
      });
    }
  }
});

test('unit ranking equals Pearson r on random data of a model 5 wide and 1,500 positions long', () => {
  const rng = new Rng(5);
  const n = 1500;
  const H = 5;
  const trace = randomTrace(rng, n, H);
  const features = textFeatures(code(n), /\(\w+\)/g);
  assertRankingIsPearson(trace, features, 'random');
});

test('unit ranking equals Pearson r on a real trace of the SIMD model over code', () => {
  const text = code(1200) + sampleText(800, 2);
  const tok = CharTokenizer.train([text]);
  const config: ModelConfig = {
    cell: 'lstm',
    activation: 'tanh',
    vocabSize: tok.vocabSize,
    embedding: 8,
    hidden: 18,
    layers: 2,
    dropout: 0,
  };
  const model = new FastInferenceModel(config, initWeights(config, 7));
  const ins = inspectText(model, tok, text, { regex: /return|if/g });
  model.dispose?.();
  assert.deepEqual(
    rankUnits(ins.trace, ins.features, 3).map((r) => r.feature),
    FEATURE_NAMES.filter((k) => ins.features[k].some((v) => v !== ins.features[k][0])),
  );
  assertRankingIsPearson(ins.trace, ins.features, 'real trace');
  // The Units view's sparklines, taken in the ranking's pass, are the unit's bucket means.
  const view = unitsView(ins, 4);
  assert.ok(view.units.length >= 4);
  for (const { unit, spark: got } of view.units) {
    const want = spark(unitSeries(ins.trace, parseUnit(unit, ins.trace)!));
    assert.equal(got.length, SPARK_POINTS);
    got.forEach((v, b) => assert.ok(Math.abs(v - want[b]) < 1e-9, `${unit} bucket ${b}: ${v} vs ${want[b]}`));
  }
  // A text shorter than the sparkline: one point per position.
  const short = inspectText(new FastInferenceModel(config, initWeights(config, 7)), tok, 'if (a) { "b" }\n');
  const shortView = unitsView(short);
  assert.ok(shortView.units.length > 0);
  for (const { unit, spark: got } of shortView.units) {
    const want = unitSeries(short.trace, parseUnit(unit, short.trace)!);
    assert.equal(got.length, want.length);
    got.forEach((v, t) => assert.ok(Math.abs(v - want[t]) < 1e-9, `${unit} at ${t}: ${v} vs ${want[t]}`));
  }
});
