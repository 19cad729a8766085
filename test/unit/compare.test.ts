import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/wasm/backend';
import { gradientRatio, hiddenForBudget, parameterCount, summarizeCompare } from '../../src/engine/compare';
import { compareCells } from '../../src/engine/compareRun';
import { DEFAULT_TRAIN_CONFIG, mergeConfig, ModelConfig } from '../../src/engine/config';
import { TimestepGradRecorder } from '../../src/engine/model/layers';
import { initWeights, LanguageModel } from '../../src/engine/model/model';
import { fixture, sampleText, tmpDir } from '../helpers/util';

before(async () => {
  await initBackend('wasm');
});

test('compare trains rnn, lstm and gru at about equal size on one split, and fills every column of the table', async () => {
  const folder = fixture({
    'a.txt': sampleText(3000, 1),
    'b.txt': sampleText(1500, 2),
    'c.txt': sampleText(1500, 3),
  });
  const out = tmpDir();
  const seen = new Set<string>();
  const r = await compareCells({
    folder,
    out,
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, {
      model: { cell: 'lstm', hidden: 24, layers: 1, embedding: 8 },
      seqLen: 16,
      batch: 4,
      steps: 12,
      evalEvery: 12,
      gradEvery: 4,
      sampleLength: 0,
      seed: 5,
    }),
    onEvent: (cell, e) => e.type === 'start' && seen.add(cell),
  });
  assert.deepEqual([...seen], ['rnn', 'lstm', 'gru']);
  assert.equal(r.rows.length, 3);
  const sizes = r.rows.map((x) => x.parameters);
  assert.ok(Math.max(...sizes) / Math.min(...sizes) < 1.1, `parameter counts ${sizes}`);
  assert.ok(r.rows.find((x) => x.cell === 'rnn')!.hidden > r.rows.find((x) => x.cell === 'lstm')!.hidden);
  for (const row of r.rows) {
    for (const [k, v] of Object.entries(row))
      assert.ok(v !== null && v !== undefined, `${row.cell}.${k} is filled`);
    assert.equal(row.status, 'finished');
    assert.equal(row.steps, 12);
    const cfg = JSON.parse(fs.readFileSync(path.join(out, '.seqlab/runs', row.runId, 'config.json'), 'utf8'));
    assert.equal(cfg.group, path.basename(r.dir), 'the runs are grouped under the experiment');
    assert.equal(cfg.model.hidden, row.hidden);
  }
  const md = fs.readFileSync(path.join(r.dir, 'compare.md'), 'utf8');
  assert.equal(md, r.markdown);
  const tableRows = md.split('\n').filter((l) => /^\| (rnn|lstm|gru) \|/.test(l));
  assert.equal(tableRows.length, 3);
  for (const l of tableRows) assert.ok(!l.includes('–'), `no empty cell: ${l}`);
  // One split and seed: every run saw the same corpus.
  const corpora = r.rows.map((row) => {
    const start = fs
      .readFileSync(path.join(out, '.seqlab/runs', row.runId, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .map((l) => l && JSON.parse(l))
      .find((e) => e && e.type === 'start');
    return JSON.stringify([
      start.corpus.trainFiles,
      start.corpus.valFiles,
      start.corpus.trainChars,
      start.corpus.valChars,
    ]);
  });
  assert.equal(new Set(corpora).size, 1, corpora.join(' vs '));
});

test('stopping a compare keeps the finished cells and skips the rest', async () => {
  const folder = fixture({ 'a.txt': sampleText(2000, 1), 'b.txt': sampleText(800, 2) });
  let starts = 0;
  const r = await compareCells({
    folder,
    out: tmpDir(),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, {
      model: { cell: 'lstm', hidden: 12, layers: 1, embedding: 8 },
      seqLen: 8,
      batch: 2,
      steps: 6,
      evalEvery: 3,
      sampleLength: 0,
    }),
    onEvent: (_cell, e) => e.type === 'start' && starts++,
    shouldStop: () => starts >= 2,
  });
  assert.ok(r.stopped);
  assert.deepEqual(
    r.rows.map((x) => x.status),
    ['finished', 'stopped', 'not run'],
  );
});

test('a budget picks each cell its hidden size', () => {
  const base: ModelConfig = {
    cell: 'lstm',
    activation: 'tanh',
    vocabSize: 96,
    embedding: 64,
    hidden: 256,
    layers: 2,
    dropout: 0,
  };
  const target = parameterCount(base);
  for (const cell of ['rnn', 'gru'] as const) {
    const h = hiddenForBudget(base, cell, target);
    const n = parameterCount({ ...base, cell, hidden: h });
    assert.ok(Math.abs(n - target) / target < 0.01, `${cell} ${h}: ${n} vs ${target}`);
    // The fused training kernel needs a multiple of 4; otherwise tokens/s compares code paths.
    assert.equal(h % 4, 0, `${cell}: hidden ${h} is not a multiple of 4`);
  }
  // A base that is not a multiple of 4 keeps the exact search.
  const odd = { ...base, hidden: 30 };
  const h = hiddenForBudget(odd, 'gru', parameterCount(odd));
  const n = parameterCount({ ...odd, cell: 'gru', hidden: h });
  for (const other of [h - 1, h + 1])
    assert.ok(
      Math.abs(parameterCount({ ...odd, cell: 'gru', hidden: other }) - parameterCount(odd)) >=
        Math.abs(n - parameterCount(odd)),
      `gru ${h} is not the closest size`,
    );
});

function ratioFor(config: ModelConfig, scaleRecurrent: number): number {
  const weights = initWeights(config, 3);
  for (const [name, w] of weights)
    if (name.endsWith('recurrent_kernel')) w.data.forEach((v, i) => (w.data[i] = v * scaleRecurrent));
  const model = new LanguageModel(config, weights);
  const T = 24;
  const B = 2;
  const ids = Int32Array.from({ length: T * B }, (_, i) => (i * 5) % config.vocabSize);
  const targets = Int32Array.from({ length: T * B }, (_, i) => (i * 7 + 1) % config.vocabSize);
  const recorder = new TimestepGradRecorder();
  const { value, grads } = tf.variableGrads(() =>
    model.loss(ids, targets, T, B, model.zeroState(B), { training: true, recorder }, []),
  );
  value.dispose();
  tf.dispose(grads);
  const norms = recorder.read();
  model.dispose();
  assert.equal(norms[0].length, T);
  return gradientRatio([{ norms }])!;
}

test('the vanishing-gradient ratio: a tanh RNN with small recurrent weights is far below 1, with larger ones far less so', () => {
  const config: ModelConfig = {
    cell: 'rnn',
    activation: 'tanh',
    vocabSize: 12,
    embedding: 6,
    hidden: 16,
    layers: 1,
    dropout: 0,
  };
  const small = ratioFor(config, 0.25);
  const large = ratioFor(config, 1.0);
  console.log(
    `# ‖∂L_T/∂h_1‖/‖∂L_T/∂h_T‖ over 24 steps: recurrent weights ×0.25 → ${small.toExponential(2)}, ×1 → ${large.toExponential(2)}`,
  );
  assert.ok(small > 0 && small < 1e-4, `small recurrent weights: ratio ${small}`);
  assert.ok(large > 1e3 * small, `larger recurrent weights keep more gradient: ${large} vs ${small}`);
});

test('a cell whose metrics.jsonl ends in a torn line (a crashed worker) still shows its steps', () => {
  const root = tmpDir();
  const runs = path.join(root, '.seqlab', 'runs');
  const fx = path.resolve(__dirname, '../../../test/fixtures/run-v0.1/20261130-044035-lstm-2ae1');
  fs.cpSync(fx, path.join(runs, 'x-lstm'), { recursive: true });
  const metrics = path.join(runs, 'x-lstm', 'metrics.jsonl');
  const text = fs.readFileSync(metrics, 'utf8');
  // Cut the last line (the done event) in half, as a process killed mid-write leaves it.
  const lastStart = text.lastIndexOf('\n', text.length - 2) + 1;
  fs.writeFileSync(metrics, text.slice(0, lastStart + 20));
  fs.mkdirSync(path.join(runs, 'x'));
  fs.writeFileSync(
    path.join(runs, 'x', 'compare.json'),
    JSON.stringify({
      kind: 'compare',
      id: 'x',
      folder: root,
      createdAt: '',
      targetParameters: 1,
      vocabSize: 1,
      runs: [{ cell: 'lstm', runId: 'x-lstm', hidden: 8, parameters: 1 }],
      status: 'running',
    }),
  );
  const [row] = summarizeCompare(path.join(runs, 'x'));
  assert.equal(row.steps, 10);
  assert.ok(row.valLoss !== null && row.valLoss > 0, 'the last eval gives the loss');
  assert.ok(row.tokensPerSec !== null && row.tokensPerSec > 0);
});
