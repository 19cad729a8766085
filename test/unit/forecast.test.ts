import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { initBackend } from '../../src/engine/wasm/backend';
import { DEFAULT_TRAIN_CONFIG, mergeConfig, ModelConfig, TrainConfig } from '../../src/engine/config';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import { runPaths } from '../../src/engine/runFolder';
import { SeqLabError } from '../../src/engine/errors';
import type { TrainEvent } from '../../src/engine/events';
import { trainTask } from '../../src/engine/tasks/registry';
import {
  actuals,
  arForecast,
  fitAutoregression,
  naiveForecast,
  seasonalNaiveForecast,
} from '../../src/engine/tasks/forecast/baselines';
import { FORECAST_BASE_CONFIG } from '../../src/engine/tasks/forecast/defaults';
import { errorFigures } from '../../src/engine/tasks/forecast/metrics';
import type { ForecastSpec } from '../../src/engine/tasks/forecast/forecasting';
import { fitNormalisation, readSeries, windowOrigins } from '../../src/engine/tasks/forecast/series';
import { parseTable } from '../../src/engine/tasks/forecast/table';
import { timeSpacing, findTimeColumn } from '../../src/engine/tasks/forecast/time';
import { evaluateForecasterOnFile, forecastFile } from '../../src/engine/tasks/forecast/use';
import { saveTestCheckpoint } from '../helpers/checkpoint';
import { fixture, tmpDir } from '../helpers/util';

before(async () => {
  await initBackend('wasm');
});

/** A CSV with a daily date column and the given columns. */
function csv(columns: Record<string, ArrayLike<number | string>>, n: number): string {
  const names = Object.keys(columns);
  const lines = [['date', ...names].join(',')];
  for (let i = 0; i < n; i++) {
    const d = new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10);
    lines.push([d, ...names.map((c) => columns[c][i])].join(','));
  }
  return lines.join('\n') + '\n';
}

const sine = (n: number, period: number) =>
  Array.from({ length: n }, (_, i) => (5 + 3 * Math.sin((2 * Math.PI * i) / period)).toFixed(6));

function forecastConfig(overrides: Parameters<typeof mergeConfig>[1]): TrainConfig {
  return mergeConfig(FORECAST_BASE_CONFIG, overrides);
}

async function trainOn(file: string, config: TrainConfig, events: TrainEvent[] = []) {
  return trainTask({ folder: file, config, out: path.dirname(file), onEvent: (e) => events.push(e) });
}

// ---- Baselines and metrics on hand-made series ----

test('naive, seasonal naive and autoregression are exact on series made for them', () => {
  const constant = Float64Array.from({ length: 20 }, () => 3);
  const origins = [5, 9, 14];
  assert.deepEqual(Array.from(naiveForecast(constant, origins, 3)), Array(9).fill(3));
  const periodic = Float64Array.from({ length: 30 }, (_, i) => [1, 4, 2, 8][i % 4]);
  const seasonal = seasonalNaiveForecast(periodic, [8, 13], 6, 4);
  assert.deepEqual(Array.from(seasonal), Array.from(actuals(periodic, [8, 13], 6)));
  // By hand: from origin 13 (values …, y12 = 1), one season back of 13..18 is 9..14 → 4,2,8,1,4,2.
  assert.deepEqual(Array.from(seasonal.subarray(6)), [4, 2, 8, 1, 4, 2]);
  // A straight line is an exact AR(2): y(t) = 2 y(t−1) − y(t−2).
  const line = Float64Array.from({ length: 40 }, (_, i) => 2 * i + 1);
  const fit = windowOrigins(
    { values: [line] } as unknown as Parameters<typeof windowOrigins>[0],
    2,
    3,
    0,
    30,
  );
  const ar = fitAutoregression(line, fit, 2, 3, 40, 23);
  const pred = arForecast(ar, line, [32, 35], 2, 3);
  const want = [65, 67, 69, 71, 73, 75];
  pred.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `AR step ${i}: ${v} vs ${want[i]}`));
  const naive = naiveForecast(line, [32], 3);
  assert.deepEqual(Array.from(naive), [63, 63, 63]);
});

test('MAE, RMSE and MAPE by hand; MAPE is left out where an actual value is 0', () => {
  const f = errorFigures(Float64Array.from([1, 2, 4]), Float64Array.from([2, 2, 1]));
  assert.equal(f.mae, 4 / 3);
  assert.ok(Math.abs(f.rmse - Math.sqrt(10 / 3)) < 1e-12);
  assert.ok(Math.abs(f.mape! - (100 * (1 + 0 + 0.75)) / 3) < 1e-12);
  assert.equal(errorFigures(Float64Array.from([0, 1]), Float64Array.from([1, 1])).mape, undefined);
});

// ---- Reading a CSV ----

test('a time column is found by name and its spacing gives the season; an irregular one warns', () => {
  const monthly = parseTable(
    'm.csv',
    'Month,Passengers\n1949-01,112\n1949-02,118\n1949-03,132\n1949-04,129\n',
  );
  assert.deepEqual(timeSpacing(monthly, findTimeColumn(monthly, '')), {
    column: 'Month',
    spacing: 'monthly',
    season: 12,
  });
  const irregular = parseTable('i.csv', 'date,v\n2020-01-01,1\n2020-01-02,2\n2020-01-05,3\n2020-01-06,4\n');
  const info = timeSpacing(irregular, findTimeColumn(irregular, ''));
  assert.equal(info.season, 0);
  assert.match(info.warning!, /not evenly spaced \(line 4 .*treated as equally spaced/);
  const garbled = parseTable('g.csv', 'when,v\n2020-01-01,1\nsoon,2\n2020-01-03,3\n');
  assert.match(timeSpacing(garbled, 0).warning!, /not a date on line 3 \("soon"\)/);
  const tsv = parseTable('t.tsv', 'YEAR\tSUNACTIVITY\n1700.0\t5.0\n1701.0\t11.0\n1702.0\t16.0\n');
  assert.deepEqual(timeSpacing(tsv, findTimeColumn(tsv, '')), {
    column: 'YEAR',
    spacing: 'yearly',
    season: 0,
  });
});

test('a non-numeric target names its first bad row; missing values are carried forward or skipped', () => {
  const dir = fixture({
    'bad.csv': 'date,v\n2020-01-01,1\n2020-01-02,2\n2020-01-03,n/e\n2020-01-04,x\n',
    'gaps.csv': 'date,v,w\n2020-01-01,,\n2020-01-02,2,1\n2020-01-03,NA,2\n2020-01-04,4,2\n2020-01-05,5,3\n',
  });
  assert.throws(
    () =>
      readSeries(path.join(dir, 'bad.csv'), { target: 'v', features: [], timeColumn: '', missing: 'ffill' }),
    (e: unknown) =>
      e instanceof SeqLabError && /line 4 holds "n\/e"/.test(e.message) && /bad\.csv:4/.test(e.where!),
  );
  const opts = { target: 'v', features: ['w'], timeColumn: '', missing: 'ffill' as const };
  const filled = readSeries(path.join(dir, 'gaps.csv'), opts);
  assert.equal(filled.missing, 3);
  assert.equal(filled.droppedLeading, 1);
  assert.deepEqual(Array.from(filled.values[0]), [2, 2, 4, 5]);
  assert.deepEqual(Array.from(filled.values[1]), [1, 2, 2, 3]);
  const skipped = readSeries(path.join(dir, 'gaps.csv'), { ...opts, missing: 'skip' });
  // Windows of 1 step → 1 value: only row 3 → row 4 (0-based) has no gap on either side.
  assert.deepEqual(windowOrigins(skipped, 1, 1, 0, 5), [4]);
});

test('normalisation is fitted on the training rows only', () => {
  const s = { values: [Float64Array.from([1, 3, 100, 200])] } as unknown as Parameters<
    typeof fitNormalisation
  >[0];
  assert.deepEqual(fitNormalisation(s, 2), { mean: [2], std: [1] });
});

test('forecast options from flags merge into the defaults (a partial override keeps the rest)', () => {
  const c = mergeConfig(DEFAULT_TRAIN_CONFIG, { forecast: { target: 'load', window: 12 } });
  assert.equal(c.forecast!.target, 'load');
  assert.equal(c.forecast!.window, 12);
  assert.equal(c.forecast!.horizon, DEFAULT_TRAIN_CONFIG.forecast!.horizon);
  assert.equal(c.forecast!.strategy, 'direct');
});

// ---- Training, checkpoints, evaluation ----

test('a noiseless sine is learned to near-zero error, far below the naive forecast', async () => {
  const file = path.join(fixture({ 'sine.csv': csv({ y: sine(400, 16) }, 400) }), 'sine.csv');
  const events: TrainEvent[] = [];
  const r = await trainOn(
    file,
    forecastConfig({ forecast: { target: 'y', window: 16, horizon: 4 }, steps: 400, evalEvery: 200 }),
    events,
  );
  const evals = events.filter((e) => e.type === 'eval') as unknown as Record<string, number>[];
  const last = evals[evals.length - 1];
  // Amplitude 3: an MAE of 0.06 is 2% of it; the naive forecast is off by ~2.
  assert.ok(last.mae < 0.06, `val MAE ${last.mae}`);
  assert.ok(last.mase < 0.05, `MASE against naive ${last.mase}`);
  const detail = events.filter((e) => e.type === 'forecastEval');
  assert.equal(detail.length, evals.length, 'each evaluation has its detail event');
  const d = detail[detail.length - 1] as Extract<TrainEvent, { type: 'forecastEval' }>;
  assert.deepEqual(
    d.baselines.map((b) => b.name),
    ['naive', 'seasonal', 'ar'],
  );
  assert.equal(d.future.forecast.length, 4);
  assert.equal(d.series.actual.length, d.series.oneStep.length);
  const manifest = loadCheckpoint(r.checkpoint!).manifest;
  assert.equal(manifest.task, 'forecast');
  assert.ok(Math.abs(manifest.metrics!.mae - last.mae) < 1e-12);
});

test('recursive strategy: one step predicted and fed back, H steps evaluated', async () => {
  const file = path.join(fixture({ 'rec.csv': csv({ y: sine(300, 12) }, 300) }), 'rec.csv');
  const events: TrainEvent[] = [];
  const r = await trainOn(
    file,
    forecastConfig({
      forecast: { target: 'y', window: 12, horizon: 3, strategy: 'recursive' },
      steps: 300,
      evalEvery: 300,
    }),
    events,
  );
  const m = loadCheckpoint(r.checkpoint!).manifest;
  assert.equal(m.model.vocabSize, 1, 'the head predicts one step');
  const last = events.filter((e) => e.type === 'eval').pop() as unknown as Record<string, number>;
  assert.ok(last.mae < 0.15, `three-step MAE fed back: ${last.mae}`);
  assert.ok(last.mase < 0.1, `against naive: ${last.mase}`);
  const detail = events.filter((e) => e.type === 'forecastEval').pop() as Extract<
    TrainEvent,
    { type: 'forecastEval' }
  >;
  assert.equal(detail.future.forecast.length, 3);
});

test('normalisation and baselines round-trip through the checkpoint: eval on a file uses the stored ones', async () => {
  const n = 240;
  const level = Array.from({ length: n }, (_, i) => 1000 + 50 * Math.sin(i / 5) + i);
  const file = path.join(fixture({ 'level.csv': csv({ load: level, temp: sine(n, 12) }, n) }), 'level.csv');
  const r = await trainOn(
    file,
    forecastConfig({
      forecast: { target: 'load', features: ['temp'], window: 12, horizon: 2 },
      steps: 30,
      evalEvery: 30,
      valFraction: 0.25,
    }),
  );
  const spec = loadCheckpoint(r.checkpoint!).manifest.taskSpec as unknown as ForecastSpec;
  const s = readSeries(file, { target: 'load', features: ['temp'], timeColumn: '', missing: 'ffill' });
  assert.deepEqual(spec.norm, fitNormalisation(s, n - 60));
  assert.deepEqual(spec.columns, ['load', 'temp']);
  // The tail of the file alone: its statistics differ from the training rows', so a model that
  // refitted them would forecast differently from the one trained.
  const tail = path.join(path.dirname(file), 'tail.csv');
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  fs.writeFileSync(tail, [lines[0], ...lines.slice(1 + n - 72)].join('\n'));
  const onTail = await evaluateForecasterOnFile(r.checkpoint!, tail);
  assert.equal(onTail.windows, 72 - 12 - 2 + 1, 'the first window rows are context only');
  const last = fs
    .readFileSync(runPaths(r.runDir).metrics, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === 'eval')
    .pop();
  // The validation windows of training are the tail's windows (same context, same rows).
  assert.ok(Math.abs(onTail.mae - last.mae) < 1e-3 * last.mae, `eval ${onTail.mae} vs training ${last.mae}`);
  assert.ok(Math.abs(onTail.naive_mae - last.naive_mae) < 1e-9);
  assert.ok(Math.abs(onTail.ar_mae - last.ar_mae) < 1e-9);
  const f = await forecastFile(r.checkpoint!, tail, 5);
  assert.equal(f.values.length, 5);
  assert.deepEqual(f.times.slice(0, 2), ['2020-08-28', '2020-08-29']);
  assert.ok(
    f.values.every((v) => v > 900 && v < 1400),
    `forecasts in the series' range: ${f.values}`,
  );
});

test('a forecaster run resumes from its checkpoint and continues the same losses', async () => {
  const file = path.join(fixture({ 's.csv': csv({ y: sine(200, 10) }, 200) }), 's.csv');
  const config = forecastConfig({ forecast: { target: 'y', window: 10 }, steps: 40, evalEvery: 20 });
  const full = await trainOn(file, config);
  const partial = await trainOn(file, { ...config, steps: 20 });
  const resumed = await trainTask({
    folder: '',
    resume: partial.runDir,
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, { steps: 40 }),
  });
  assert.equal(resumed.step, 40);
  resumed.losses.forEach((l, i) => assert.ok(Math.abs(l - full.losses[20 + i]) < 1e-5, `step ${21 + i}`));
});

test('too few rows, an unknown column and a language-model checkpoint are refused with what to do', async () => {
  const dir = fixture({ 'short.csv': csv({ y: sine(10, 4) }, 10) });
  await assert.rejects(
    trainOn(path.join(dir, 'short.csv'), forecastConfig({ forecast: { target: 'y', window: 12 } })),
    (e: unknown) =>
      e instanceof SeqLabError && /Too few rows for one window/.test(e.message) && /--window/.test(e.hint!),
  );
  await assert.rejects(
    trainOn(path.join(dir, 'short.csv'), forecastConfig({ forecast: { target: 'z', window: 2 } })),
    (e: unknown) => e instanceof SeqLabError && /no column "z"/.test(e.message) && /date, y/.test(e.hint!),
  );
  const lm = path.join(tmpDir(), 'lm');
  const model: ModelConfig = {
    cell: 'lstm',
    activation: 'tanh',
    embedding: 4,
    hidden: 8,
    layers: 1,
    dropout: 0,
    vocabSize: 5,
  };
  saveTestCheckpoint(lm, model, 'abcd');
  await assert.rejects(
    evaluateForecasterOnFile(lm, path.join(dir, 'short.csv')),
    (e: unknown) =>
      e instanceof SeqLabError &&
      /needs a forecaster checkpoint, but this is a language-model checkpoint/.test(e.message),
  );
});

test('eval and forecast on a file: an unusable time column is warned about, bad rows get hints for a checkpoint', async () => {
  const dir = fixture({ 's.csv': csv({ y: sine(60, 6) }, 60) });
  const r = await trainOn(
    path.join(dir, 's.csv'),
    forecastConfig({ forecast: { target: 'y', window: 5 }, steps: 2 }),
  );
  const lines = csv({ y: sine(30, 6) }, 30)
    .trim()
    .split('\n');
  const variant = (name: string, line: number, row: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, lines.map((l, i) => (i === line ? row : l)).join('\n') + '\n');
    return file;
  };
  // Training notes it; eval and forecast warn through the caller's sink (the CLI: stderr).
  const irregular = variant('irregular.csv', 10, `someday,${lines[10].split(',')[1]}`);
  const warnings: string[] = [];
  const e = await evaluateForecasterOnFile(r.checkpoint!, irregular, 'wasm', (w) => warnings.push(w));
  assert.equal(e.rows, 30);
  const f = await forecastFile(r.checkpoint!, irregular, 2, 'wasm', (w) => warnings.push(w));
  assert.equal(f.values.length, 2);
  assert.equal(warnings.length, 2);
  for (const w of warnings) assert.match(w, /time column "date" .*line 11 \("someday"\).*equally spaced/);
  // The checkpoint fixes the column: no --target to choose another.
  await assert.rejects(
    evaluateForecasterOnFile(r.checkpoint!, variant('bad.csv', 7, '2020-01-07,abc')),
    (err: unknown) =>
      err instanceof SeqLabError &&
      /line 8 holds "abc"/.test(err.message) &&
      /checkpoint reads column "y"/.test(err.hint!) &&
      !/--target/.test(err.hint!),
  );
  // A forecast reads one window and needs no values after it.
  fs.writeFileSync(path.join(dir, 'short.csv'), lines.slice(0, 4).join('\n') + '\n');
  await assert.rejects(
    forecastFile(r.checkpoint!, path.join(dir, 'short.csv'), 1),
    (err: unknown) =>
      err instanceof SeqLabError &&
      /3 rows, but a window of 5 steps needs at least 5$/.test(err.message) &&
      !/horizon of 0/.test(err.message) &&
      /at least 5 complete rows/.test(err.hint!) &&
      !/--window/.test(err.hint!),
  );
});
