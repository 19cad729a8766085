import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_TRAIN_CONFIG, mergeConfig } from '../../src/engine/config';
import { SeqLabError } from '../../src/engine/errors';
import {
  readAnnotations,
  readMetricsFile,
  readStatus,
  readSweepSpec,
  runLockHolder,
  runPaths,
  summarizeEvents,
  SweepSpec,
  updateAnnotations,
} from '../../src/engine/runFolder';
import {
  AshaRule,
  defaultParallel,
  expandSweep,
  gridPoints,
  MedianRule,
  parseSpace,
  parseSweepSection,
  randomPoints,
} from '../../src/engine/sweep';
import { overridesFromFlat } from '../../src/config/flatConfig';
import { fixture, sampleText, tmpDir } from '../helpers/util';

const CLI = path.resolve(__dirname, '../../../bin/seqlab.js');
const base = mergeConfig(DEFAULT_TRAIN_CONFIG, { seed: 7 });
const loss = { name: 'valLoss', goal: 'min' as const };

test('a grid expands to every combination, first key outermost, times seeds', () => {
  const space = parseSpace('cell=lstm,gru hidden=64,128 lr=1e-3');
  assert.deepEqual(gridPoints(space), [
    { cell: 'lstm', hidden: 64, lr: 1e-3 },
    { cell: 'lstm', hidden: 128, lr: 1e-3 },
    { cell: 'gru', hidden: 64, lr: 1e-3 },
    { cell: 'gru', hidden: 128, lr: 1e-3 },
  ]);
  const { params, configs } = expandSweep({ folder: '.', base, space, seeds: 3 });
  assert.equal(params.length, 12);
  assert.deepEqual(
    params.slice(0, 3).map((p) => p.seed),
    [7, 8, 9],
  );
  assert.equal(configs[3].model.cell, 'lstm');
  assert.equal(configs[3].model.hidden, 128);
  assert.equal(configs[3].seed, 7);
});

test('random search samples ranges (log-uniform with :log) reproducibly within bounds', () => {
  const space = parseSpace('lr=1e-4..1e-2:log hidden=32..64 cell=lstm,gru');
  const a = randomPoints(space, 50, 3);
  assert.deepEqual(a, randomPoints(space, 50, 3));
  for (const p of a) {
    assert.ok((p.lr as number) >= 1e-4 && (p.lr as number) <= 1e-2);
    assert.ok(Number.isInteger(p.hidden) && (p.hidden as number) >= 32 && (p.hidden as number) <= 64);
  }
  // Log-uniform: about half the draws below the geometric middle 1e-3.
  const below = a.filter((p) => (p.lr as number) < 1e-3).length;
  assert.ok(below > 12 && below < 38, `${below} of 50 below 1e-3`);
  assert.throws(() => gridPoints(space), /only a random search/);
});

test('bad sweep input names the key and what to write', () => {
  assert.throws(
    () => parseSpace('hiden=64'),
    (e: SeqLabError) => /"hiden" is not a config key/.test(e.message),
  );
  assert.throws(() => parseSpace('cell=lstm,xyz'), /cell cannot be "xyz"/);
  assert.throws(() => parseSpace('hidden=6.5'), /whole number/);
  assert.throws(() => parseSpace('hidden'), /not key=values/);
  assert.throws(() => expandSweep({ folder: '.', base, space: parseSpace('hidden=0') }), /hidden=0/);
});

test("seqlab.json's sweep section: parsed with its grid, ignored by the training keys, typos refused", () => {
  const s = parseSweepSection(
    { grid: { cell: ['lstm', 'gru'], lr: '1e-4..1e-2:log' }, seeds: 2, budget: '30m', prune: 'asha', eta: 2 },
    'seqlab.json',
  );
  assert.deepEqual(
    s.space!.map((d) => d.key),
    ['cell', 'lr'],
  );
  assert.equal(s.budgetSeconds, 1800);
  assert.equal(s.prune, 'asha');
  assert.deepEqual(s.pruneOptions, { eta: 2 });
  assert.throws(() => parseSweepSection({ seed: 2 }, 'seqlab.json'), /Unknown key "seed"/);
  assert.throws(() => parseSweepSection({ prune: 'hyperband' }, 'seqlab.json'), /cannot be "hyperband"/);
  const { overrides } = overridesFromFlat({ hidden: 64, sweep: { grid: 'lr=1e-3' } }, 'seqlab.json');
  assert.equal(overrides.model?.hidden, 64);
});

test('default parallelism: cores ÷ threads per run, at least 1, at most the runs', () => {
  assert.equal(defaultParallel(1, 8, 4), 4);
  assert.equal(defaultParallel(2, 8, 4), 2);
  assert.equal(defaultParallel(8, 8, 4), 1);
  assert.equal(defaultParallel(1, 2, 16), 2);
});

test('median rule: a run worse than the median of the others at the same step is pruned, with the reason', () => {
  const m = new MedianRule(loss, { minRuns: 2 });
  for (const [id, v] of [
    ['a', 2.0],
    ['b', 2.2],
  ] as const) {
    assert.equal(m.report(id, { step: 10, value: v }), undefined, 'too few others to judge');
    m.report(id, { step: 20, value: v - 0.5 });
  }
  // Others' running averages at step 10: 2.0, 2.2 → median 2.1; then with c's 2.05 → 2.05.
  assert.equal(m.report('c', { step: 10, value: 2.05 }), undefined);
  const why = m.report('d', { step: 10, value: 2.5 });
  assert.equal(why?.step, 10);
  assert.equal(why?.rule, 'median');
  assert.match(why!.reason, /2\.5000 is worse than the median 2\.0500 of 3 other runs at step 10/);
  // Higher is better for accuracy.
  const acc = new MedianRule({ name: 'accuracy', goal: 'max' }, { minRuns: 1 });
  acc.report('a', { step: 5, value: 0.8 });
  assert.ok(acc.report('b', { step: 5, value: 0.5 }));
  assert.equal(acc.report('c', { step: 5, value: 0.9 }), undefined);
});

test('ASHA: at each rung only the top 1/eta go on; the first runs there need to be its best', () => {
  const a = new AshaRule(loss, { eta: 2, minSteps: 10 });
  assert.equal(a.rungStep(0), 10);
  assert.equal(a.rungStep(2), 40);
  assert.equal(a.report('a', { step: 5, value: 9 }), undefined, 'below the first rung');
  assert.equal(a.report('a', { step: 10, value: 3 }), undefined, 'first at the rung');
  assert.match(a.report('b', { step: 10, value: 4 })!.reason, /rung 0 \(step 10\).*top 1\/2 of 2 runs/);
  assert.equal(a.report('c', { step: 10, value: 2 }), undefined);
  // Rung 0 now holds 3, 4, 2 and 5: the top half is ≤ 3.
  assert.ok(a.report('d', { step: 10, value: 5 }));
  assert.equal(a.report('e', { step: 10, value: 3 }), undefined);
});

test('annotations: merged, cleaned (bad colour dropped), emptied fields removed', () => {
  const dir = tmpDir();
  updateAnnotations(dir, { name: ' best lstm ', tags: ['a', 'b', 'a', ''], colour: '#FF0000' });
  assert.deepEqual(readAnnotations(dir), { name: 'best lstm', tags: ['a', 'b'], colour: '#ff0000' });
  updateAnnotations(dir, { notes: 'lr too high', colour: 'red', name: '' });
  assert.deepEqual(readAnnotations(dir), { tags: ['a', 'b'], colour: '#ff0000', notes: 'lr too high' });
  assert.throws(() => updateAnnotations(path.join(dir, 'gone'), { name: 'x' }), /does not exist/);
});

test('run summary reads any eval fields: best by each metric direction, final, tokens/s', () => {
  const s = summarizeEvents([
    { type: 'start', time: 0, parameters: 1234 } as never,
    { type: 'step', time: 1000, step: 10, tokensSeen: 500, elapsedSeconds: 1 } as never,
    { type: 'eval', time: 1100, step: 10, valLoss: 2, accuracy: 0.6, tokensSeen: 500 } as never,
    { type: 'step', time: 2000, step: 20, tokensSeen: 1000, elapsedSeconds: 2 } as never,
    { type: 'eval', time: 3000, step: 20, valLoss: 2.5, accuracy: 0.7, tokensSeen: 1000 } as never,
  ]);
  assert.deepEqual(s.best, { valLoss: 2, accuracy: 0.7 });
  assert.deepEqual(s.final, { valLoss: 2.5, accuracy: 0.7 });
  assert.equal(s.steps, 20);
  assert.equal(s.tokensPerSec, 500);
  assert.equal(s.wallSeconds, 3);
  assert.equal(s.parameters, 1234);
});

async function waitFor(what: string, ok: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a sweep of 8 tiny runs with median pruning prunes at least one, and resumes after a kill', async () => {
  const folder = fixture({ 'a.txt': sampleText(4000, 1), 'b.txt': sampleText(1500, 2) });
  const out = tmpDir();
  const runsRoot = path.join(out, '.seqlab', 'runs');
  // lr 1e-5 barely moves: those runs fall behind the median and are pruned.
  const args = [
    CLI,
    'sweep',
    folder,
    '--out',
    out,
    '--grid',
    'lr=3e-2,1e-5 hidden=8,12',
    '--seeds',
    '2',
    '--steps',
    '60',
    '--eval-every',
    '5',
    '--seq-len',
    '16',
    '--batch',
    '4',
    '--embedding',
    '8',
    '--prune',
    'median',
    '--parallel',
    '2',
    '--json',
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const ended = () => stdout.split('\n').filter((l) => l.startsWith('{"type":"runEnd"')).length;
  await waitFor('three runs to end', () => ended() >= 3 || child.exitCode !== null, 240_000);
  assert.equal(child.exitCode, null, 'the sweep was still going when killed');
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));

  const sweepDir = fs
    .readdirSync(runsRoot)
    .map((d) => path.join(runsRoot, d))
    .find((d) => readSweepSpec(d))!;
  const killed: SweepSpec = readSweepSpec(sweepDir)!;
  assert.equal(killed.runs.length, 8);
  assert.equal(killed.status, 'running', 'a killed sweep never got to write its end');
  const doneBefore = killed.runs
    .filter((r) => r.state === 'finished' || r.state === 'pruned')
    .map((r) => r.runId);
  assert.ok(
    doneBefore.length >= 3 && doneBefore.length < 8,
    `${doneBefore.length} runs done before the kill`,
  );
  // The orphaned runs save a checkpoint and end on their own once the sweep is gone.
  await waitFor(
    'orphaned runs to end',
    () => killed.runs.every((r) => !runLockHolder(path.join(runsRoot, r.runId))),
    120_000,
  );

  const r = spawnSync(process.execPath, [CLI, 'sweep', '--resume', sweepDir, '--json'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const spec = readSweepSpec(sweepDir)!;
  assert.equal(spec.status, 'finished');
  const states = spec.runs.map((x) => x.state);
  assert.ok(
    states.every((s) => s === 'finished' || s === 'pruned'),
    states.join(', '),
  );
  const pruned = spec.runs.filter((x) => x.state === 'pruned');
  assert.ok(pruned.length >= 1, 'at least one run pruned');
  assert.ok(
    pruned.some((p) => p.params.lr === 1e-5),
    'the runs that do not learn are pruned',
  );
  for (const p of pruned) {
    const runDir = path.join(runsRoot, p.runId);
    const st = readStatus(runDir)!;
    assert.equal(st.status, 'stopped');
    assert.equal(st.pruned?.rule, 'median');
    assert.equal(st.pruned?.step, p.pruned!.step);
    assert.match(st.pruned!.reason, /worse than the median/);
    assert.ok(st.step < 60, 'a pruned run stops early');
  }
  const resumed = r.stdout.split('\n').filter((l) => l.startsWith('{"type":"runStart"'));
  for (const l of resumed)
    assert.ok(!doneBefore.includes(JSON.parse(l).runId), 'runs done before the kill are not trained again');
  for (const x of spec.runs.filter((y) => y.state === 'finished')) {
    const events = readMetricsFile(runPaths(path.join(runsRoot, x.runId)).metrics).events;
    assert.equal(summarizeEvents(events).steps, 60, 'a finished run trained all its steps');
    const cfg = JSON.parse(fs.readFileSync(path.join(runsRoot, x.runId, 'config.json'), 'utf8'));
    assert.equal(cfg.group, spec.id, 'each run names its sweep');
  }
  assert.ok(fs.readFileSync(path.join(sweepDir, 'sweep.md'), 'utf8').includes('pruned at step'));
});

test('a sweep trains the task its flags name: classifier and translator runs, each with its own figures', () => {
  const sample = path.resolve(__dirname, '../../../media/sample');
  const cases = [
    { data: path.join(sample, 'labelled/reviews.csv'), task: 'classify', field: 'macro_f1' },
    { data: path.join(sample, 'parallel/en-fr.tsv'), task: 'seq2seq', field: 'bleu' },
  ];
  for (const c of cases) {
    const out = tmpDir();
    const r = spawnSync(
      process.execPath,
      [
        CLI,
        'sweep',
        c.data,
        '--task',
        c.task,
        '--out',
        out,
        '--grid',
        'hidden=8,12',
        '--steps',
        '12',
        '--eval-every',
        '6',
        '--batch',
        '4',
        '--embedding',
        '8',
        '--parallel',
        '1',
        '--json',
      ],
      { encoding: 'utf8', timeout: 240_000 },
    );
    assert.equal(r.status, 0, `${c.task} sweep: ${r.stderr}`);
    const runsRoot = path.join(out, '.seqlab', 'runs');
    const sweepDir = fs
      .readdirSync(runsRoot)
      .map((d) => path.join(runsRoot, d))
      .find((d) => readSweepSpec(d))!;
    const spec = readSweepSpec(sweepDir)!;
    assert.equal(spec.status, 'finished');
    assert.deepEqual(
      spec.runs.map((x) => x.params.hidden),
      [8, 12],
    );
    for (const x of spec.runs) {
      const dir = path.join(runsRoot, x.runId);
      const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
      assert.equal(cfg.train.task, c.task, 'the run trained the sweep’s task');
      assert.equal(cfg.model.hidden, x.params.hidden);
      const evals = readMetricsFile(runPaths(dir).metrics).events.filter((e) => e.type === 'eval');
      assert.ok(evals.length >= 1, `${c.task} run ${x.runId} evaluated`);
      assert.ok(
        evals.some((e) => typeof (e as unknown as Record<string, unknown>)[c.field] === 'number'),
        `${c.task} evaluations report ${c.field}`,
      );
    }
  }
});
