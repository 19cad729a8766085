import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  columnTrack,
  differingKeys,
  filterRuns,
  groupCurve,
  groupRuns,
  metricsTable,
  parallelAxes,
  sortRuns,
} from '../../src/dashboard/experiments';
import { parseHostMessage, parseWebviewMessage, RunSummary } from '../../src/dashboard/protocol';

function run(id: string, config: RunSummary['config'], best = 1, notes?: RunSummary['notes']): RunSummary {
  return {
    id,
    label: id,
    cell: 'lstm',
    hidden: 8,
    layers: 1,
    tokenizer: 'char',
    parent: null,
    state: 'finished',
    clip: 1,
    config,
    stats: {
      steps: 10,
      tokens: 100,
      wallSeconds: 1,
      tokensPerSec: 100,
      parameters: 50,
      best: { valLoss: best },
      final: { valLoss: best + 0.1 },
    },
    ...(notes ? { notes } : {}),
  };
}

test('"differs only" columns are exactly the keys whose values differ (a missing key differs)', () => {
  const configs: Record<string, string | number>[] = [
    { cell: 'lstm', hidden: 64, lr: 0.001, seed: 1, batch: 32 },
    { cell: 'lstm', hidden: 128, lr: 0.001, seed: 2, batch: 32 },
    { cell: 'lstm', hidden: 64, lr: 0.001, seed: 1, batch: 32, dropout: 0.1 },
  ];
  assert.deepEqual(differingKeys(configs), ['hidden', 'seed', 'dropout']);
  assert.deepEqual(differingKeys([configs[0], { ...configs[0] }]), []);
  assert.deepEqual(differingKeys([]), []);
});

test('a grouped curve is the mean of its members at every x, with min, max and std', () => {
  const a = { x: [1, 2, 3, 4], y: [4, 3, 2, 1] };
  const b = { x: [1, 2, 3, 4], y: [6, 5, 2, 3] };
  const c = { x: [1, 2, 3], y: [5, 7, 2] };
  const g = groupCurve([a, b, c]);
  assert.deepEqual(g.x, [1, 2, 3, 4]);
  const members = [a, b, c];
  g.x.forEach((x, i) => {
    const ys = members.flatMap((m) => (m.x.includes(x) ? [m.y[m.x.indexOf(x)]] : []));
    const mean = ys.reduce((s, y) => s + y, 0) / ys.length;
    assert.ok(Math.abs(g.mean[i] - mean) < 1e-12, `mean at x=${x}`);
    assert.equal(g.min[i], Math.min(...ys));
    assert.equal(g.max[i], Math.max(...ys));
    const std = Math.sqrt(ys.reduce((s, y) => s + (y - mean) ** 2, 0) / ys.length);
    assert.ok(Math.abs(g.std[i] - std) < 1e-9, `std at x=${x}`);
    assert.equal(g.n[i], ys.length);
  });
  assert.equal(g.std[2], 0, 'all three equal at x=3');
});

test('filter, sort and group the runs; export rows carry config, metrics and stats', () => {
  const runs = [
    run('r1', { cell: 'lstm', lr: 0.01, seed: 1 }, 2.0, { tags: ['baseline'], notes: 'too fast' }),
    run('r2', { cell: 'gru', lr: 0.001, seed: 1 }, 1.5),
    run('r3', { cell: 'lstm', lr: 0.001, seed: 2 }, 1.7),
  ];
  assert.deepEqual(
    filterRuns(runs, 'cell=lstm').map((r) => r.id),
    ['r1', 'r3'],
  );
  assert.deepEqual(
    filterRuns(runs, 'baseline fast').map((r) => r.id),
    ['r1'],
  );
  assert.deepEqual(
    sortRuns(runs, 'best:valLoss', 1).map((r) => r.id),
    ['r2', 'r3', 'r1'],
  );
  assert.deepEqual(
    sortRuns(runs, 'config:cell', -1).map((r) => r.id),
    ['r1', 'r3', 'r2'],
  );
  assert.deepEqual(
    [...groupRuns(runs, 'lr')].map(([k, v]) => [k, v.map((r) => r.id)]),
    [
      ['lr=0.01', ['r1']],
      ['lr=0.001', ['r2', 'r3']],
    ],
  );
  const t = metricsTable(runs);
  assert.deepEqual(t.header.slice(0, 7), ['run', 'name', 'state', 'tags', 'cell', 'lr', 'seed']);
  assert.deepEqual(t.rows[0].slice(0, 9), ['r1', 'r1', 'finished', 'baseline', 'lstm', 0.01, 1, 2.0, 2.1]);
  const pc = parallelAxes(runs, ['config:cell', 'config:lr', 'best:valLoss']);
  assert.equal(pc.axes[1].log, true, 'lr spans a factor 10: log axis');
  assert.deepEqual(
    pc.lines.map((l) => l[0]),
    [1, 0, 1],
  );
  assert.deepEqual(
    pc.lines.map((l) => l[2]),
    [1, 0, (1.7 - 1.5) / 0.5],
  );
});

test('the protocol refuses malformed experiment fields and annotate messages', () => {
  const ok = run('r1', { lr: 0.01 });
  const msg = (r: unknown) => ({ type: 'runs', runs: [r], selected: [], training: [] });
  assert.ok(parseHostMessage(msg(ok)));
  assert.equal(parseHostMessage(msg({ ...ok, config: { lr: { x: 1 } } })), undefined);
  assert.equal(parseHostMessage(msg({ ...ok, stats: { ...ok.stats, best: { valLoss: 'x' } } })), undefined);
  assert.equal(parseHostMessage(msg({ ...ok, notes: { evil: 'x' } })), undefined);
  assert.deepEqual(parseWebviewMessage({ type: 'annotate', runId: 'r1', notes: { tags: ['a'] } }), {
    type: 'annotate',
    runId: 'r1',
    notes: { tags: ['a'] },
  });
  assert.equal(parseWebviewMessage({ type: 'annotate', runId: 'r1', notes: { tags: 'a' } }), undefined);
  assert.equal(parseWebviewMessage({ type: 'annotate', runId: 1, notes: {} }), undefined);
  assert.ok(parseWebviewMessage({ type: 'saveFile', name: 'm.json', kind: 'json', data: '[]' }));
});

test('a runs-table column is as wide as its longest header or cell, so headers never overlap', () => {
  // A classifier and a forecaster differ in "validationFraction": 18 characters, wider than the
  // 72 px every column had, and the headers ran into each other.
  assert.equal(columnTrack(['validationFraction', '0.1', '0.2']), 'minmax(21ch, 1fr)');
  assert.equal(columnTrack(['lr', '0.002']), 'minmax(9ch, 1fr)', 'short columns keep the old minimum');
  assert.equal(columnTrack(['best macro_f1', '0.123456789012']), 'minmax(17ch, 1fr)');
});
