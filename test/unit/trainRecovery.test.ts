import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../../src/engine/wasm/backend';
import { loadCheckpoint, saveCheckpoint } from '../../src/engine/checkpoint';
import { DEFAULT_TRAIN_CONFIG, mergeConfig, TrainOverrides } from '../../src/engine/config';
import { SeqLabError } from '../../src/engine/errors';
import type { LogEvent, StartEvent, TrainEvent } from '../../src/engine/events';
import { evaluateCheckpointOnFolder } from '../../src/engine/evaluateFolder';
import { checkpointName, readMetricsFile, readStatus, runPaths } from '../../src/engine/runFolder';
import { LanguageModelTask } from '../../src/engine/tasks/languageModel/task';
import { train, TrainOptions } from '../../src/engine/trainer';
import { fixture, sampleText, tmpDir } from '../helpers/util';

before(async () => {
  await initBackend('wasm');
});

const TINY: TrainOverrides = {
  model: { cell: 'lstm', embedding: 8, hidden: 16, layers: 1, dropout: 0 },
  seqLen: 16,
  batch: 4,
  lr: 1e-2,
  evalEvery: 2,
  sampleLength: 0,
  evalTokens: 256,
  steps: 4,
};

const corpus = () => fixture({ 'a.txt': sampleText(3000), 'b.txt': sampleText(800, 3) });

async function run(o: Partial<TrainOptions> & { folder: string }, over: TrainOverrides = {}) {
  const events: TrainEvent[] = [];
  const result = await train({
    out: tmpDir(),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, TINY, over),
    onEvent: (e) => events.push(e),
    ...o,
  });
  return { result, events };
}

const resumeWith = (runDir: string, extra: Partial<TrainOptions> = {}, steps = 6) =>
  run({ folder: '', resume: runDir, ...extra }, { steps });

const ckDir = (runDir: string, step: number) => path.join(runPaths(runDir).checkpoints, checkpointName(step));

const rejectsWith = (p: Promise<unknown>, code: string, message: RegExp) =>
  assert.rejects(p, (e: unknown) => e instanceof SeqLabError && e.code === code && message.test(e.message));

test('resume is refused while another live process trains the run, naming that process', async () => {
  const { result } = await run({ folder: corpus() });
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  try {
    fs.writeFileSync(
      path.join(result.runDir, 'train.lock'),
      JSON.stringify({ pid: other.pid, host: os.hostname(), startedAt: '2026-01-01T00:00:00Z' }),
    );
    await rejectsWith(resumeWith(result.runDir), 'E_RUN_LOCKED', new RegExp(`by process ${other.pid}`));
    assert.equal(readStatus(result.runDir)?.status, 'finished', 'the other run is left alone');
  } finally {
    other.kill();
  }
  await new Promise((r) => other.on('exit', r));
  // Once that process is gone its lock is stale: resume proceeds, and releases its own lock.
  await resumeWith(result.runDir);
  assert.ok(!fs.existsSync(runPaths(result.runDir).lock));
});

test('a non-finite validation loss stops the run at that step and keeps the last good checkpoint', async (t) => {
  const real = LanguageModelTask.prototype.evaluate;
  let calls = 0;
  t.mock.method(LanguageModelTask.prototype, 'evaluate', function (this: LanguageModelTask) {
    const r = real.call(this);
    return ++calls === 2 && r ? { ...r, loss: NaN } : r;
  });
  const out = tmpDir();
  await rejectsWith(run({ folder: corpus(), out }), 'E_DIVERGED', /Validation loss is NaN at step 4/);
  const runDir = path.join(out, '.seqlab', 'runs', fs.readdirSync(path.join(out, '.seqlab', 'runs'))[0]);
  assert.deepEqual(fs.readdirSync(runPaths(runDir).checkpoints), [checkpointName(2)]);
  assert.equal(readStatus(runDir)?.best, checkpointName(2));
  assert.equal(readStatus(runDir)?.status, 'failed');
  const evals = readMetricsFile(runPaths(runDir).metrics).events.filter((e) => e.type === 'eval');
  assert.deepEqual(
    evals.map((e) => (e as { step: number }).step),
    [2],
  );
});

test('a corrupt newest checkpoint: resume falls back to the newest that loads and says so', async () => {
  const { result } = await run({ folder: corpus() }, { keepCheckpoints: 5 });
  const bin = path.join(ckDir(result.runDir, 4), 'weights.bin');
  fs.writeFileSync(bin, fs.readFileSync(bin).subarray(0, 10));
  const r = await resumeWith(result.runDir);
  assert.equal((r.events.find((e) => e.type === 'start') as StartEvent).resumedFromStep, 2);
  const logs = r.events.filter((e): e is LogEvent => e.type === 'log').map((e) => e.message);
  assert.ok(
    logs.some((l) => /skipped checkpoint step-00000004: .*weights\.bin.*truncated/.test(l)),
    logs.join('\n'),
  );
  // Step 4 was trained again and its checkpoint replaced by one that loads.
  assert.doesNotThrow(() => loadCheckpoint(ckDir(result.runDir, 4)));
  assert.equal(r.result.step, 6);
});

test('resume takes a checkpoint: its name or its folder, and only one of the run', async () => {
  const { result } = await run({ folder: corpus() }, { keepCheckpoints: 5 });
  const byName = await resumeWith(result.runDir, { resumeFrom: checkpointName(2) }, 4);
  assert.equal((byName.events.find((e) => e.type === 'start') as StartEvent).resumedFromStep, 2);
  const other = await run({ folder: corpus() });
  await rejectsWith(
    resumeWith(result.runDir, { resumeFrom: ckDir(other.result.runDir, 2) }),
    'E_RESUME',
    /is not one of run .*'s checkpoints/,
  );
});

test('resume cleans up what a crash left: temporaries are deleted, a complete one is renamed into place', async () => {
  const { result } = await run({ folder: corpus() }, { keepCheckpoints: 5 });
  const ck = runPaths(result.runDir).checkpoints;
  fs.renameSync(ckDir(result.runDir, 4), path.join(ck, '.tmp-step-00000004-4194305-0000abcd'));
  fs.mkdirSync(path.join(ck, '.tmp-step-00000006-4194305-0000abcd'));
  fs.writeFileSync(path.join(result.runDir, 'status.json.tmp-4194305-0000abcd'), '{');
  const r = await resumeWith(result.runDir);
  assert.equal((r.events.find((e) => e.type === 'start') as StartEvent).resumedFromStep, 4);
  const leftovers = [...fs.readdirSync(result.runDir), ...fs.readdirSync(ck)].filter((n) =>
    n.includes('.tmp-'),
  );
  assert.deepEqual(leftovers, []);
});

test('a hand-edited config.json: a broken or missing training folder is named, with what to do', async () => {
  const { result } = await run({ folder: corpus() });
  const file = runPaths(result.runDir).config;
  const cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.writeFileSync(file, JSON.stringify({ ...cfg, folder: 42 }));
  await rejectsWith(resumeWith(result.runDir), 'E_RESUME', /config\.json has no "folder"/);
  fs.writeFileSync(file, JSON.stringify({ ...cfg, folder: path.join(tmpDir(), 'gone') }));
  await rejectsWith(resumeWith(result.runDir), 'E_RESUME', /gone named in .*config\.json does not exist/);
  fs.writeFileSync(file, '{"runId": ');
  await rejectsWith(resumeWith(result.runDir), 'E_RESUME', /config\.json is not valid JSON/);
  await rejectsWith(resumeWith(path.join(tmpDir(), 'nope')), 'E_RESUME', /Run folder not found: .*nope/);
});

test("a refused corpus pattern on resume says it came from the run's config.json", async () => {
  const { result } = await run({ folder: corpus() });
  for (const n of fs.readdirSync(runPaths(result.runDir).checkpoints)) {
    const f = path.join(runPaths(result.runDir).checkpoints, n, 'manifest.json');
    const m = JSON.parse(fs.readFileSync(f, 'utf8'));
    m.train.include = ['../**/*.txt'];
    fs.writeFileSync(f, JSON.stringify(m));
  }
  await rejectsWith(resumeWith(result.runDir), 'E_PATTERN_OUTSIDE', /\(from .*config\.json\)/);
});

test('eval fails on a NaN loss instead of printing it', async () => {
  const { result } = await run({ folder: corpus() });
  const data = loadCheckpoint(ckDir(result.runDir, 4));
  for (const w of data.weights.values()) w.data.fill(NaN);
  const dir = path.join(tmpDir(), 'nan');
  const { sha256: _sha, format: _f, version: _v, ...manifest } = data.manifest;
  saveCheckpoint(dir, { ...data, manifest });
  await assert.rejects(
    evaluateCheckpointOnFolder(dir, corpus()),
    (e: unknown) => e instanceof SeqLabError && e.code === 'E_DIVERGED' && /loss of NaN/.test(e.message),
  );
});
