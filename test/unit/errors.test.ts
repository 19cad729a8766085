import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { initBackend } from '../../src/engine/wasm/backend';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import { DEFAULT_TRAIN_CONFIG, mergeConfig, validateConfig } from '../../src/engine/config';
import { SeqLabError } from '../../src/engine/errors';
import { train } from '../../src/engine/trainer';
import { overridesFromFlat, parseSeqlabJson } from '../../src/config/flatConfig';
import { fixture, sampleText, tmpDir } from '../helpers/util';

before(async () => {
  await initBackend('wasm');
});

const small = mergeConfig(DEFAULT_TRAIN_CONFIG, {
  model: { hidden: 16, layers: 1, embedding: 8 },
  seqLen: 16,
  batch: 4,
  evalEvery: 2,
  sampleLength: 0,
});

/** A folder nobody may write to: /sys as root (root ignores permission bits), else a 0555 folder. */
function readOnlyDir(): string {
  if (process.getuid?.() === 0) return '/sys/seqlab-readonly-test';
  const d = tmpDir();
  fs.chmodSync(d, 0o555);
  return d;
}

test('a read-only output folder fails with E_OUTPUT naming the folder and the fix', async () => {
  const out = readOnlyDir();
  await assert.rejects(
    train({ folder: fixture({ 'a.txt': sampleText(3000) }), out, config: { ...small, steps: 2 } }),
    (e: unknown) =>
      e instanceof SeqLabError &&
      e.code === 'E_OUTPUT' &&
      e.message.includes(out) &&
      /writable/.test(e.hint ?? ''),
  );
});

test('when the output folder breaks mid-run, the run fails with E_SAVE and keeps its earlier checkpoints', async () => {
  const out = tmpDir();
  let runDir = '';
  let saved = '';
  await assert.rejects(
    train({
      folder: fixture({ 'a.txt': sampleText(6000) }),
      out,
      config: { ...small, steps: 10, keepCheckpoints: 10 },
      onEvent: (e) => {
        if (e.type === 'start') runDir = e.runDir;
        if (e.type === 'checkpoint' && e.step === 2) {
          saved = e.path;
          // Make the next save impossible: a file where the checkpoint's temporary folder goes.
          fs.renameSync(path.join(runDir, 'checkpoints'), path.join(runDir, 'checkpoints-kept'));
          fs.writeFileSync(path.join(runDir, 'checkpoints'), 'not a folder');
        }
      },
    }),
    (e: unknown) => e instanceof SeqLabError && e.code === 'E_SAVE',
  );
  const status = JSON.parse(fs.readFileSync(path.join(runDir, 'status.json'), 'utf8'));
  assert.equal(status.status, 'failed');
  assert.match(status.error, /Could not save checkpoint/);
  const kept = path.join(runDir, 'checkpoints-kept', path.basename(saved));
  assert.equal(loadCheckpoint(kept).manifest.step, 2);
  const lines = fs
    .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.at(-1).type, 'error');
});

test('invalid config values name the key', () => {
  assert.throws(() => validateConfig({ ...small, model: { ...small.model, hidden: 0 } }), /Invalid hidden/);
  assert.throws(() => validateConfig({ ...small, lr: -1 }), /Invalid lr/);
  assert.throws(() => validateConfig({ ...small, tokenizer: 'bpe', vocabSize: 100 }), /too small for bpe/);
});

test('seqlab.json: corrupt JSON and unknown keys name the file and what to do', () => {
  const file = '/x/seqlab.json';
  assert.throws(
    () => parseSeqlabJson('{"preset": ', file),
    (e: unknown) =>
      e instanceof SeqLabError && e.message.includes(file) && /not valid JSON/.test(e.message) && !!e.hint,
  );
  assert.throws(() => parseSeqlabJson('[1]', file), /must hold a JSON object/);
  assert.throws(() => overridesFromFlat({ hiden: 3 }, file), /Unknown key "hiden" in \/x\/seqlab.json/);
  assert.throws(() => overridesFromFlat({ preset: 'huge' }, file), /Unknown preset "huge"/);
  const { overrides, preset } = overridesFromFlat(
    { preset: 'tiny', cell: 'gru', hidden: 48, steps: 7, include: ['**/*.md'] },
    file,
  );
  assert.equal(preset, 'tiny');
  assert.deepEqual(overrides.model, { cell: 'gru', hidden: 48 });
  assert.equal(overrides.steps, 7);
  assert.deepEqual(overrides.include, ['**/*.md']);
});

test('fine-tune budget input: steps or a time with s/m/h', async () => {
  const { parseBudget } = await import('../../src/config/budget');
  assert.deepEqual(parseBudget('500'), { steps: 500, timeSeconds: 0 });
  assert.deepEqual(parseBudget(' 90s '), { steps: 0, timeSeconds: 90 });
  assert.deepEqual(parseBudget('5m'), { steps: 0, timeSeconds: 300 });
  assert.deepEqual(parseBudget('1.5h'), { steps: 0, timeSeconds: 5400 });
  for (const bad of ['', '0', '-3', '2.5', 'five', '10 minutes'])
    assert.equal(parseBudget(bad), undefined, bad);
});
