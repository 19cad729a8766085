import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, sampleText, tmpDir } from '../helpers/util';

const CLI = path.resolve(__dirname, '../../../bin/seqlab.js');

function seqlab(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Bad input: non-zero exit and a single line that says what is wrong. */
function expectOneLineError(args: string[], pattern: RegExp) {
  const r = seqlab(...args);
  assert.notEqual(r.code, 0, `exit status for ${args.join(' ')}`);
  const lines = r.err
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('(run with --help'));
  assert.equal(lines.length, 1, `one line of error, got:\n${r.err}`);
  assert.match(lines[0], pattern);
}

test('invalid flags give a one-line error and a non-zero exit', () => {
  const dir = fixture({ 'a.txt': sampleText(2000) });
  expectOneLineError(['train', dir, '--hidden', 'abc'], /--hidden must be a whole number/);
  expectOneLineError(['train', dir, '--cell', 'transformer'], /transformer.*(rnn|lstm|gru)|Allowed choices/);
  expectOneLineError(['train', dir, '--dropout', '1.5', '--steps', '1'], /Invalid dropout/);
  expectOneLineError(['train', dir, '--no-such-flag'], /unknown option/);
  expectOneLineError(['frobnicate'], /unknown command/);
});

test('schema checks reach the CLI: warm-up, and a model too large for memory, named by their flags', () => {
  const dir = fixture({ 'a.txt': sampleText(2000) });
  expectOneLineError(['train', dir, '--warmup', '-5'], /Invalid warmupSteps: -5 .*\(--warmup\)/);
  expectOneLineError(['train', dir, '--warmup', '500', '--steps', '100'], /warm-up steps .*\(--warmup\)/);
  expectOneLineError(
    ['train', dir, '--hidden', '8192', '--layers', '2'],
    /Model too large: training needs about [\d,]+ MB .*over the limit of [\d,]+ MB.*--max-memory/,
  );
  // A normal preset passes the same check and trains.
  const r = seqlab('train', dir, '--preset', 'small', '--steps', '1', '--json', '--out', tmpDir());
  assert.equal(r.code, 0, r.err);
});

test('an empty folder and a missing checkpoint give their documented errors', () => {
  expectOneLineError(['train', tmpDir(), '--steps', '1'], /No usable text in .*include:/);
  expectOneLineError(['sample', path.join(tmpDir(), 'nope')], /Checkpoint not found/);
  const bad = tmpDir();
  fs.writeFileSync(path.join(bad, 'manifest.json'), '{');
  expectOneLineError(['info', bad], /manifest\.json is not valid JSON/);
});

test('train, sample, eval and info work end to end', () => {
  const dir = fixture({ 'a.txt': sampleText(6000), 'b.txt': sampleText(2000, 9) });
  const out = tmpDir();
  const r = seqlab('train', dir, '--preset', 'tiny', '--steps', '20', '--eval-every', '10', '--out', out);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /final validation loss \d+\.\d+, bits per character \d+\.\d+/);
  const ck = /checkpoint: (.*)/.exec(r.out)![1].trim();
  assert.ok(fs.existsSync(path.join(ck, 'manifest.json')));
  assert.match(r.out, /--- sample/);
  const s = seqlab('sample', ck, '--prime', 'the ', '--length', '30', '--temperature', '0');
  assert.equal(s.code, 0, s.err);
  assert.ok(s.out.startsWith('the ') && s.out.length > 10);
  assert.equal(
    seqlab('sample', ck, '--prime', 'the ', '--length', '30', '--temperature', '0').out,
    s.out,
    'greedy is deterministic',
  );
  const e = seqlab('eval', ck, dir, '--json');
  assert.equal(e.code, 0, e.err);
  const m = JSON.parse(e.out);
  assert.ok(m.loss > 0 && Math.abs(m.perplexity - Math.exp(m.loss)) < 1e-6 && m.bpc > 0);
  const i = seqlab('info', ck);
  assert.equal(JSON.parse(i.out).step, 20);
  const j = seqlab('train', dir, '--preset', 'tiny', '--steps', '3', '--json', '--out', out);
  const types = new Set(
    j.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).type),
  );
  for (const t of ['start', 'step', 'done', 'checkpoint']) assert.ok(types.has(t), t);
});

test('resume names a run whose config.json is missing or lacks its folder (not "Folder not found: undefined")', () => {
  const dir = fixture({ 'a.txt': sampleText(3000) });
  const out = tmpDir();
  const r = seqlab('train', dir, '--preset', 'tiny', '--steps', '2', '--json', '--out', out);
  assert.equal(r.code, 0, r.err);
  const runs = path.join(out, '.seqlab', 'runs');
  const run = path.join(runs, fs.readdirSync(runs)[0]);
  const cfgFile = path.join(run, 'config.json');
  const { folder: _, ...cfg } = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
  fs.writeFileSync(cfgFile, JSON.stringify(cfg));
  expectOneLineError(['resume', run, '--steps', '3'], /config\.json has no "folder"/);
  fs.rmSync(cfgFile);
  expectOneLineError(['resume', run, '--steps', '3'], /config\.json cannot be read/);
});

test('Ctrl-C (SIGINT) saves a checkpoint, then stops', async () => {
  const { spawn } = await import('child_process');
  const dir = fixture({ 'a.txt': sampleText(20000) });
  const out = tmpDir();
  const child = spawn(process.execPath, [
    CLI,
    'train',
    dir,
    '--preset',
    'tiny',
    '--steps',
    '100000',
    '--json',
    '--out',
    out,
  ]);
  let text = '';
  child.stdout.on('data', (d) => (text += d));
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if ((text.match(/"type":"step"/g) ?? []).length >= 3) {
        clearInterval(poll);
        child.kill('SIGINT');
        resolve();
      }
    }, 50);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0);
  const events = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const done = events.find((e) => e.type === 'done');
  assert.equal(done.reason, 'stopped');
  const ck = events.find((e) => e.type === 'checkpoint');
  assert.equal(ck.reason, 'stopped');
  assert.ok(fs.existsSync(path.join(ck.path, 'manifest.json')));
});

test('when wasm cannot start, training falls back to the cpu backend with a clear line', () => {
  const dir = fixture({ 'a.txt': sampleText(3000) });
  const r = spawnSync(
    process.execPath,
    [CLI, 'train', dir, '--preset', 'tiny', '--steps', '2', '--json', '--out', tmpDir()],
    {
      encoding: 'utf8',
      env: { ...process.env, SEQLAB_WASM_DIR: '/nonexistent' },
    },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /wasm backend failed to initialise .*falling back to the slower cpu backend/);
  const start = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .find((e) => e.type === 'start');
  assert.equal(start.backend, 'cpu');
});

test('training stops at the epoch limit and at the time budget', () => {
  const dir = fixture({ 'a.txt': sampleText(3000) });
  const events = (args: string[]) => {
    const r = spawnSync(
      process.execPath,
      [CLI, 'train', dir, '--preset', 'tiny', '--steps', '0', '--json', '--out', tmpDir(), ...args],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  };
  const byEpoch = events(['--epochs', '2']);
  const done = byEpoch.find((e) => e.type === 'done');
  assert.equal(done.reason, 'epochs');
  const steps = byEpoch.filter((e) => e.type === 'step');
  assert.deepEqual([...new Set(steps.map((e) => e.epoch))], [0, 1]);
  const byTime = events(['--time', '1.5']);
  const d2 = byTime.find((e) => e.type === 'done');
  assert.equal(d2.reason, 'time');
  assert.ok(d2.elapsedSeconds >= 1.5 && d2.elapsedSeconds < 10);
});

test("a forecaster's step lines count windows a second, a language model's tokens", () => {
  const out = tmpDir();
  const csv = path.resolve(__dirname, '../../../examples/forecast/sunspots.csv');
  const f = seqlab(
    'train',
    csv,
    '--task',
    'forecast',
    '--target',
    'SUNACTIVITY',
    '--steps',
    '3',
    '--out',
    out,
  );
  assert.equal(f.code, 0, f.err);
  const steps = f.out.split('\n').filter((l) => l.startsWith('step '));
  assert.ok(steps.length > 0, f.out);
  for (const l of steps) assert.match(l, / windows\/s$/);
  const dir = fixture({ 'a.txt': sampleText(3000) });
  const t = seqlab('train', dir, '--preset', 'tiny', '--steps', '2', '--out', out);
  assert.equal(t.code, 0, t.err);
  assert.match(
    t.out.split('\n').find((l) => l.startsWith('step '))!,
    / tok\/s$/,
  );
});
