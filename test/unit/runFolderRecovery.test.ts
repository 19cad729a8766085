import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawn, spawnSync } from 'child_process';
import { loadCheckpoint, saveCheckpoint } from '../../src/engine/checkpoint';
import { ModelConfig } from '../../src/engine/config';
import { SeqLabError } from '../../src/engine/errors';
import {
  acquireRunLock,
  appendMetric,
  checkpointName,
  createRunDir,
  listCheckpointEntries,
  parseMetrics,
  pruneCheckpoints,
  readMetricsFile,
  recoverRunFolder,
  runPaths,
  updateStatus,
} from '../../src/engine/runFolder';
import { saveTestCheckpoint } from '../helpers/checkpoint';
import { tmpDir } from '../helpers/util';

// Tests patch these to inject a crash in the middle of a rename or a delete.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realFs = require('fs') as typeof fs;

const CONFIG: ModelConfig = {
  cell: 'lstm',
  activation: 'tanh',
  vocabSize: 8,
  embedding: 4,
  hidden: 4,
  layers: 1,
  dropout: 0,
};

/** A run folder with a loadable checkpoint at each step, with the given validation losses. */
function runWith(valLosses: Record<number, number>): string {
  const runDir = tmpDir();
  for (const [step, valLoss] of Object.entries(valLosses)) {
    const dir = path.join(runPaths(runDir).checkpoints, checkpointName(Number(step)));
    saveTestCheckpoint(dir, CONFIG, 'abcdefg');
    const file = path.join(dir, 'manifest.json');
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...m, step: Number(step), valLoss }));
  }
  return runDir;
}

const stepDirs = (runDir: string) => fs.readdirSync(runPaths(runDir).checkpoints).sort();

/** Runs `fn` with `name` of fs replaced; the replacement gets the original. */
function patched<K extends keyof typeof fs>(
  name: K,
  fake: (orig: (typeof fs)[K]) => (typeof fs)[K],
  fn: () => void,
): void {
  const orig = realFs[name];
  (realFs as Record<string, unknown>)[name] = fake(orig);
  try {
    fn();
  } finally {
    (realFs as Record<string, unknown>)[name] = orig;
  }
}

test('pruning keeps the checkpoint with the lowest valLoss on disk, even when status.json names another best', () => {
  const runDir = runWith({ 5: 1.2, 10: 0.8, 15: 1.0, 20: 1.1 });
  // A crash between the rename of step 10 and its status update left status.json behind.
  updateStatus(runDir, { best: checkpointName(5), latest: checkpointName(20) });
  pruneCheckpoints(runDir, 1);
  assert.deepEqual(stepDirs(runDir), [checkpointName(5), checkpointName(10), checkpointName(20)]);
});

test('pruning never leaves a half-deleted checkpoint under its final name (a crash mid-delete)', () => {
  const runDir = runWith({ 5: 2, 10: 1, 15: 1.5 });
  updateStatus(runDir, { best: checkpointName(10) });
  // The delete dies after removing one file: whatever is left must not be called step-00000005.
  patched(
    'rmSync',
    () =>
      ((p: string) => {
        realFs.unlinkSync(path.join(p, 'weights.bin'));
        throw new Error('killed');
      }) as typeof fs.rmSync,
    () => pruneCheckpoints(runDir, 1),
  );
  for (const n of stepDirs(runDir).filter((n) => n.startsWith('step-')))
    assert.doesNotThrow(() => loadCheckpoint(path.join(runPaths(runDir).checkpoints, n)), n);
  assert.ok(!stepDirs(runDir).includes(checkpointName(5)));
  // The next start sweeps the half-deleted temporary away.
  recoverRunFolder(runDir);
  assert.deepEqual(stepDirs(runDir), [checkpointName(10), checkpointName(15)]);
});

test('saving over a checkpoint that loads never moves it away (a crash mid-save keeps it)', () => {
  const runDir = runWith({ 40: 1 });
  const dir = path.join(runPaths(runDir).checkpoints, checkpointName(40));
  const before = fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8');
  let renames = 0;
  // The process dies at the second rename of the save (old code: the good copy was already aside).
  patched(
    'renameSync',
    (orig) =>
      ((a: fs.PathLike, b: fs.PathLike) => {
        if (++renames === 2) throw new Error('killed');
        orig(a, b);
      }) as typeof fs.renameSync,
    () => {
      try {
        saveTestCheckpoint(dir, CONFIG, 'abcdefg');
      } catch {
        // The injected crash.
      }
    },
  );
  assert.doesNotThrow(() => loadCheckpoint(dir));
  assert.equal(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'), before, 'kept as it was');
  // One that does not load is replaced.
  fs.writeFileSync(path.join(dir, 'weights.bin'), 'x');
  saveTestCheckpoint(dir, CONFIG, 'abcdefg');
  assert.doesNotThrow(() => loadCheckpoint(dir));
  assert.deepEqual(stepDirs(runDir), [checkpointName(40)]);
});

test('recovery: a complete temporary checkpoint is renamed into place, every other temporary is deleted', () => {
  const runDir = runWith({ 5: 1 });
  const ck = runPaths(runDir).checkpoints;
  const src = path.join(ck, checkpointName(5));
  // Complete, final name missing (a crash just before the rename): recovered.
  fs.cpSync(src, path.join(ck, '.tmp-step-00000010-999999-0000abcd'), { recursive: true });
  // Moved aside by an older SeqLab, its replacement never renamed in: restored.
  fs.cpSync(src, path.join(ck, '.tmp-step-00000015-999999-0000abcd-old'), { recursive: true });
  // Incomplete: deleted.
  fs.cpSync(src, path.join(ck, '.tmp-step-00000020-999999-0000abcd'), { recursive: true });
  fs.rmSync(path.join(ck, '.tmp-step-00000020-999999-0000abcd', 'carry.bin'));
  // Its final name exists: the temporary is a leftover.
  fs.cpSync(src, path.join(ck, '.tmp-step-00000005-999999-0000abcd'), { recursive: true });
  fs.mkdirSync(path.join(ck, '.tmp-step-00000001-999999-0000abcd-deleted'));
  fs.writeFileSync(path.join(runDir, 'status.json.tmp-999999-0000abcd'), '{');
  const r = recoverRunFolder(runDir);
  assert.deepEqual(r.restored.sort(), [checkpointName(10), checkpointName(15)]);
  assert.deepEqual(stepDirs(runDir), [checkpointName(5), checkpointName(10), checkpointName(15)]);
  assert.deepEqual(fs.readdirSync(runDir).sort(), ['checkpoints']);
});

test('a temporary checkpoint left by a dead process is not shown as in progress; one being written is', () => {
  const runDir = runWith({ 5: 1 });
  const ck = runPaths(runDir).checkpoints;
  fs.mkdirSync(path.join(ck, '.tmp-step-00000010-4194305-0000abcd'));
  fs.mkdirSync(path.join(ck, `.tmp-step-00000015-${process.pid}-0000abcd`));
  assert.deepEqual(
    listCheckpointEntries(runDir).map((e) => [e.name, e.inProgress]),
    [
      [checkpointName(15), true],
      [checkpointName(5), false],
    ],
  );
});

test('the run lock: a second holder is refused naming the live process; a dead holder is stale', async () => {
  const runDir = tmpDir();
  const lock = acquireRunLock(runDir);
  assert.throws(
    () => acquireRunLock(runDir),
    (e: unknown) =>
      e instanceof SeqLabError &&
      e.code === 'E_RUN_LOCKED' &&
      e.message.includes(`process ${process.pid}`) &&
      /Stop that run first/.test(e.hint ?? ''),
  );
  lock.release();
  assert.ok(!fs.existsSync(runPaths(runDir).lock));
  // A lock left by a process that has exited is taken over.
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.on('exit', r));
  fs.writeFileSync(
    runPaths(runDir).lock,
    JSON.stringify({ pid: child.pid, host: os.hostname(), startedAt: 'earlier' }),
  );
  acquireRunLock(runDir).release();
});

test('metrics.jsonl: a torn last line is cut before appending; an I/O error names the file', () => {
  const file = path.join(tmpDir(), 'metrics.jsonl');
  fs.writeFileSync(file, '{"type":"log","time":1,"message":"a"}\n{"type":"step","ti');
  appendMetric(file, { type: 'log', time: 2, message: 'b' });
  const r = readMetricsFile(file);
  assert.deepEqual(r.skipped, []);
  assert.deepEqual(
    r.events.map((e) => e.time),
    [1, 2],
  );
  const blocked = path.join(file, 'metrics.jsonl');
  assert.throws(
    () => appendMetric(blocked, { type: 'log', time: 3, message: 'c' }),
    (e: unknown) => e instanceof SeqLabError && e.code === 'E_METRICS' && e.message.includes(blocked),
  );
});

test('metrics.jsonl after a crash and resume: the abandoned steps are dropped, series stay monotonic', () => {
  const line = (o: object) => JSON.stringify(o);
  const step = (s: number) => line({ type: 'step', time: s, step: s, loss: 1 });
  const text = [
    line({ type: 'start', time: 0, resumedFromStep: 0 }),
    ...[1, 2, 3, 4, 5, 6, 7].map(step),
    line({ type: 'eval', time: 6, step: 6, valLoss: 1 }),
    // Crashed at 7; resumed from the checkpoint at 5.
    line({ type: 'start', time: 8, resumedFromStep: 5 }),
    ...[6, 7, 8].map(step),
    line({ type: 'eval', time: 9, step: 6, valLoss: 1 }),
  ].join('\n');
  const events = parseMetrics(text).events;
  assert.deepEqual(
    events.filter((e) => e.type === 'step').map((e) => (e as { step: number }).step),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
  assert.equal(events.filter((e) => e.type === 'eval').length, 1);
  assert.equal(events.filter((e) => e.type === 'start').length, 2);
});

test('a manifest without its sha256 map, a malformed shape or a broken tokenizer fail as E_CHECKPOINT', () => {
  const cases: [string, (m: Record<string, unknown>, dir: string) => void, RegExp][] = [
    ['no sha256', (m) => delete m.sha256, /manifest\.json has no sha256/],
    [
      'tokenizer',
      (m) => (m.tokenizer = { kind: 'nope' }),
      /manifest\.json has a tokenizer that cannot be read/,
    ],
    [
      'vocabulary',
      (m) => ((m.tokenizer as { vocab: string[] }).vocab = ['<unk>', 'a', 'b']),
      /manifest\.json has a tokenizer of \d+ tokens for a model of 8/,
    ],
    [
      'shape',
      (_m, dir) => {
        const f = path.join(dir, 'weights.json');
        const g = JSON.parse(fs.readFileSync(f, 'utf8'));
        g[0].weights[0].shape = 'abc';
        fs.writeFileSync(f, JSON.stringify(g));
      },
      /weights\.json has a tensor with a malformed name or shape/,
    ],
  ];
  for (const [what, edit, want] of cases) {
    const dir = path.join(tmpDir(), 'ck');
    saveTestCheckpoint(dir, CONFIG, 'abcdefg');
    const file = path.join(dir, 'manifest.json');
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    edit(m, dir);
    fs.writeFileSync(file, JSON.stringify(m));
    assert.throws(
      () => loadCheckpoint(dir),
      (e: unknown) => e instanceof SeqLabError && e.code === 'E_CHECKPOINT' && want.test(e.message),
      what,
    );
  }
});

test('saving where a file blocks the folder says so and names --out', () => {
  const blocker = path.join(tmpDir(), 'file');
  fs.writeFileSync(blocker, '');
  assert.throws(
    () =>
      saveCheckpoint(path.join(blocker, 'ck'), {
        manifest: {} as never,
        weights: new Map(),
        optimizer: [],
        carry: [],
      }),
    (e: unknown) => e instanceof SeqLabError && e.code === 'E_SAVE' && /--out/.test(e.hint ?? ''),
  );
});

test('an --out that refuses new folders is named in the error (a virtual file system, a file in the way)', () => {
  const blocker = path.join(tmpDir(), 'file');
  fs.writeFileSync(blocker, '');
  assert.throws(
    () => createRunDir(path.join(blocker, 'out'), 'r1'),
    (e: unknown) =>
      e instanceof SeqLabError &&
      e.code === 'E_OUTPUT' &&
      e.message.includes(`${blocker} is a file, not a folder`),
  );
  if (process.platform !== 'linux') return;
  // Node's recursive mkdir never returns under /proc: run it where a hang is a failure, not a stall.
  const layout = path.resolve(__dirname, '../../src/engine/runFolder/layout.js');
  const code = `try { require(${JSON.stringify(layout)}).createRunDir('/proc/seqlab-out', 'r1') } catch (e) { console.log(e.code + ' ' + e.message) }`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 20000 });
  assert.equal(r.error, undefined, 'createRunDir under /proc did not return');
  assert.match(
    r.stdout,
    /^E_OUTPUT Cannot create \/proc\/seqlab-out\/\.seqlab\/runs: \/proc does not accept new folders/,
  );
});
