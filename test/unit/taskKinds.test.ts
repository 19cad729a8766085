import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { NEXT_STEP } from '../../src/commands/nextStep';
import { SeqLabError } from '../../src/engine/errors';
import { evaluateCheckpointOnFolder } from '../../src/engine/evaluateFolder';
import { writeRunConfig } from '../../src/engine/runFolder';
import { generateFromCheckpoint } from '../../src/engine/sample';
import { headline, requireTask, TASK_KINDS, taskOf } from '../../src/engine/tasks/kinds';
import { taskOfOptions } from '../../src/engine/tasks/registry';
import { DEFAULT_TRAIN_CONFIG, ModelConfig } from '../../src/engine/config';
import { saveTestCheckpoint } from '../helpers/checkpoint';
import { fixture, tmpDir } from '../helpers/util';

const MODEL: ModelConfig = {
  cell: 'lstm',
  activation: 'tanh',
  embedding: 4,
  hidden: 8,
  layers: 1,
  dropout: 0,
  vocabSize: 5,
};

test('a manifest or config without a task is a language model', () => {
  assert.equal(taskOf({}), 'lm');
  assert.equal(taskOf(undefined), 'lm');
  assert.equal(taskOf({ task: 'classify' }), 'classify');
  assert.equal(taskOf({ task: 'nonsense' }), 'lm');
});

test('requireTask names the action, the kind needed, the kind found and the command that makes one', () => {
  assert.doesNotThrow(() => requireTask('/c', {}, 'lm', 'Sampling'));
  assert.throws(
    () => requireTask('/runs/x/checkpoints/step-1', { task: 'classify' }, 'lm', 'Sampling text'),
    (err: unknown) => {
      assert.ok(err instanceof SeqLabError);
      const line = err.describe();
      assert.match(
        line,
        /Sampling text needs a language-model checkpoint, but this is a classifier checkpoint/,
      );
      assert.match(line, /\/runs\/x\/checkpoints\/step-1/);
      assert.match(line, /seqlab train <folder>/);
      return true;
    },
  );
  assert.throws(
    () => requireTask('/c', { task: 'lm' }, ['seq2seq', 'forecast'], 'X'),
    /sequence-to-sequence or forecaster/,
  );
});

test('headline shows the figures a kind has and leaves out the missing ones', () => {
  assert.equal(headline('classify', { accuracy: 0.9123, macro_f1: 0.88 }), 'acc 0.912 · F1 0.880');
  assert.equal(headline('seq2seq', { bleu: 21.37 }), 'BLEU 21.4');
  assert.equal(headline('forecast', { mae: NaN }), '');
});

test('sampling and evaluating a language model refuse a checkpoint of another kind', async () => {
  const dir = path.join(tmpDir(), 'step-00000001');
  saveTestCheckpoint(dir, MODEL, 'abcd', { task: 'classify' });
  assert.throws(() => generateFromCheckpoint(dir, { maxLength: 5 }), /needs a language-model checkpoint/);
  await assert.rejects(
    evaluateCheckpointOnFolder(dir, fixture({ 'a.txt': 'abcd' }), { backend: 'cpu' }),
    /needs a language-model checkpoint, but this is a classifier/,
  );
  const lm = path.join(tmpDir(), 'step-00000001');
  saveTestCheckpoint(lm, MODEL, 'abcd');
  assert.equal(generateFromCheckpoint(lm, { maxLength: 5, seed: 1 }).length > 0, true);
});

test('a resumed run trains the kind recorded in its config.json, whatever the options say', () => {
  const run = tmpDir();
  writeRunConfig(run, {
    runId: 'r',
    folder: '/x',
    createdAt: new Date().toISOString(),
    train: { ...DEFAULT_TRAIN_CONFIG, task: 'forecast' },
    model: MODEL,
    parent: null,
  });
  assert.equal(taskOfOptions({ folder: '/x', config: DEFAULT_TRAIN_CONFIG, resume: run }), 'forecast');
  assert.equal(
    taskOfOptions({ folder: '/x', config: { ...DEFAULT_TRAIN_CONFIG, task: 'seq2seq' } }),
    'seq2seq',
  );
});

test("a finished run's next step is a declared command named as package.json titles it, for every task", () => {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8'));
  const titles = new Map<string, string>(
    pkg.contributes.commands.map((c: { command: string; title: string }) => [c.command, c.title]),
  );
  for (const task of TASK_KINDS) {
    const next = NEXT_STEP[task];
    assert.ok(titles.has(next.command), `${task}: ${next.command} is not declared`);
    const title = titles.get(next.command)!.replace(/…$/, '');
    assert.ok(/^(Generate|Evaluate|Forecast)/.test(next.label), `${task}: ${next.label}`);
    if (task !== 'lm') assert.equal(next.label.replace(/…$/, ''), title, `${task}: button and command title`);
  }
  // Only a language model can generate text; the other tasks' checkpoints fail there.
  assert.deepEqual(
    TASK_KINDS.filter((t) => NEXT_STEP[t].command === 'seqlab.generate'),
    ['lm'],
  );
});
