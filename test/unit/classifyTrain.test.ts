import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/wasm/backend';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import { DEFAULT_TRAIN_CONFIG, mergeConfig, TrainOverrides } from '../../src/engine/config';
import type { TrainEvent } from '../../src/engine/events';
import { SeqLabError } from '../../src/engine/errors';
import { trainTask } from '../../src/engine/tasks/registry';
import type { TrainOptions } from '../../src/engine/trainer';
import { ClassifierNet } from '../../src/engine/tasks/classify/model';
import { makeBatch } from '../../src/engine/tasks/classify/batch';
import { classifyOptions, readSpec } from '../../src/engine/tasks/classify/spec';
import { classifyTexts, evaluateClassifierOn, loadClassifier } from '../../src/engine/tasks/classify/use';
import { ClassifierTask } from '../../src/engine/tasks/classify/task';
import { fixture, sampleText, tmpDir } from '../helpers/util';

before(async () => {
  await initBackend('wasm');
});

const TINY: TrainOverrides = {
  model: { cell: 'lstm', embedding: 8, hidden: 16, layers: 2, dropout: 0 },
  seqLen: 16,
  batch: 8,
  lr: 1e-2,
  evalEvery: 20,
  sampleLength: 0,
};

/** Two labels told apart by their words: "good …" texts and "bad …" texts. */
function labelled(n = 16): string {
  const files: Record<string, string> = {};
  const goods = ['good', 'great', 'fine', 'nice'];
  const bads = ['bad', 'awful', 'poor', 'sad'];
  for (let i = 0; i < n; i++) {
    files[`pos/p${i}.txt`] = `it was ${goods[i % 4]} and ${goods[(i + 1) % 4]}`;
    files[`neg/n${i}.txt`] = `it was ${bads[i % 4]} and ${bads[(i + 3) % 4]} really`;
  }
  return fixture(files);
}

async function run(folder: string, over: TrainOverrides, extra: Partial<TrainOptions> = {}) {
  const events: TrainEvent[] = [];
  const result = await trainTask({
    folder,
    out: tmpDir(),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, TINY, { task: 'classify' }, over),
    onEvent: (e) => events.push(e),
    ...extra,
  });
  const of = <K extends TrainEvent['type']>(k: K) =>
    events.filter((e) => e.type === k) as Extract<TrainEvent, { type: K }>[];
  return { result, events, of };
}

test('training a classifier: eval events with accuracy and macro-F1, baselines, best checkpoint by macro-F1', async () => {
  const { result, of } = await run(labelled(), {
    steps: 60,
    classify: { pooling: 'mean', bidirectional: true },
  });
  const evals = of('eval') as unknown as { accuracy: number; macro_f1: number; valLoss: number }[];
  assert.equal(evals.length, 3);
  assert.ok(evals.every((e) => typeof e.accuracy === 'number' && typeof e.macro_f1 === 'number'));
  const details = of('classifyEval');
  assert.equal(details.length, 3);
  assert.deepEqual(details[0].labels, ['neg', 'pos']);
  assert.deepEqual(
    details[0].baselines.map((b) => b.name),
    ['majority', 'n-gram naive Bayes'],
  );
  assert.equal(
    details[2].confusion.flat().reduce((a, b) => a + b, 0),
    4,
  );
  assert.equal(evals[2].accuracy, 1, 'the words separate the labels');
  const m = loadCheckpoint(result.checkpoint!).manifest;
  assert.equal(m.task, 'classify');
  assert.deepEqual(readSpec(m.taskSpec).labels, ['neg', 'pos']);
  assert.equal(m.metrics?.accuracy, evals[2].accuracy);
  assert.ok(of('log').some((e) => /^labels: neg 16 \(train 14, val 2\) · pos 16/.test(e.message)));
});

test('a checkpoint round-trips: the same logits; predictions and eval on the folder read it', async () => {
  const folder = labelled();
  const { result } = await run(folder, { steps: 20, classify: { pooling: 'attention' } });
  const c = await loadClassifier(result.checkpoint!, 'Predicting a label');
  const d = loadCheckpoint(result.checkpoint!);
  const again = new ClassifierNet(d.manifest.model, readSpec(d.manifest.taskSpec), d.weights);
  try {
    const b = makeBatch([c.tokenizer.encode('it was good'), c.tokenizer.encode('awful')], [0, 0]);
    const x = tf.tidy(() => Array.from(c.net.logits(b, { training: false }).dataSync()));
    const y = tf.tidy(() => Array.from(again.logits(b, { training: false }).dataSync()));
    assert.deepEqual(x, y);
    const p = await classifyTexts(c, ['it was good and great', 'it was awful and sad really']);
    assert.deepEqual(Object.keys(p[0].probabilities), ['neg', 'pos']);
    assert.ok(Math.abs(p[0].probabilities.neg + p[0].probabilities.pos - 1) < 1e-5);
  } finally {
    c.dispose();
    again.dispose();
  }
  const r = await evaluateClassifierOn(result.checkpoint!, folder);
  assert.equal(r.examples, 32);
  assert.equal(
    r.metrics.confusion.flat().reduce((a, b) => a + b, 0),
    32,
  );
});

test('wrong kinds of checkpoint are refused with the kind needed', async () => {
  const text = fixture({ 'a.txt': sampleText(3000) });
  const lm = await trainTask({
    folder: text,
    out: tmpDir(),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, TINY, { steps: 3, seqLen: 8, batch: 2 }),
  });
  await assert.rejects(
    loadClassifier(lm.checkpoint!, 'Predicting a label'),
    (e: unknown) =>
      e instanceof SeqLabError &&
      /Predicting a label needs a classifier checkpoint, but this is a language-model checkpoint/.test(
        e.message,
      ),
  );
  const cls = await run(labelled(), { steps: 2 });
  await assert.rejects(
    run(labelled(), { steps: 2 }, { finetune: { checkpoint: cls.result.checkpoint! } }),
    (e: unknown) =>
      e instanceof SeqLabError &&
      /Fine-tuning as a classifier needs a language-model checkpoint, but this is a classifier checkpoint/.test(
        e.message,
      ),
  );
});

test('fine-tuning a language model into a classifier: its encoder, gradual unfreezing, discriminative rates', async () => {
  const folder = labelled();
  const lm = await trainTask({
    folder: fixture({ 'a.txt': sampleText(4000) }),
    out: tmpDir(),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, TINY, { steps: 5, seqLen: 8, batch: 2, tokenizer: 'char' }),
  });
  const lmData = loadCheckpoint(lm.checkpoint!);
  const { result, of } = await run(
    folder,
    {
      steps: 8,
      evalEvery: 100,
      classify: { gradualUnfreeze: true, unfreezeEvery: 2, discriminativeLr: true },
    },
    { finetune: { checkpoint: lm.checkpoint! } },
  );
  // Step 1 trains only the head; after 2 steps the top layer too; after 6 the embedding as well.
  const groups = of('step').map((e) => Object.keys(e.layerGradNorms).sort().join(','));
  assert.equal(groups[0], 'classifier');
  assert.equal(groups[2], 'classifier,layer_1');
  assert.equal(groups[6], 'classifier,embedding,layer_0,layer_1');
  const m = loadCheckpoint(result.checkpoint!);
  assert.equal(m.manifest.parent?.checkpoint, path.resolve(lm.checkpoint!));
  assert.deepEqual(m.manifest.tokenizer, lmData.manifest.tokenizer);
  // Discriminative rates: the top recurrent layer at lr/2.6, the embedding at lr/2.6³.
  const task = await ClassifierTask.create({
    model: m.manifest.model,
    spec: readSpec(m.manifest.taskSpec),
    options: classifyOptions({ discriminativeLr: true }),
    config: m.manifest.train,
    tokenizer: { toJSON: () => m.manifest.tokenizer } as never,
    train: { seqs: [Int32Array.from([1])], labels: [0], examples: [] },
    val: { seqs: [], labels: [], examples: [] },
    baselines: [],
    epoch: 0,
    step: 0,
    fromLanguageModel: true,
    emit: () => {},
  });
  try {
    assert.ok(Math.abs(task.lrScale['layer_1/kernel'] - 1 / 2.6) < 1e-9);
    assert.ok(Math.abs(task.lrScale['embedding'] - 2.6 ** -3) < 1e-9);
    assert.equal(task.lrScale['classifier/kernel'], 1);
  } finally {
    task.dispose();
  }
});

test('a classifier run resumes where it stopped', async () => {
  const { result } = await run(labelled(), { steps: 10, evalEvery: 5 });
  const { result: r2, of } = await run(labelled(), { steps: 20 }, { resume: result.runDir });
  assert.equal(r2.runDir, result.runDir);
  assert.equal(of('step')[0].step, 11);
  assert.equal(loadCheckpoint(r2.checkpoint!).manifest.task, 'classify');
});

test('ULMFiT with --lm-steps: the language model first learns the target texts, and the classifier starts from that', async () => {
  const lm = await trainTask({
    folder: fixture({ 'a.txt': sampleText(4000) }),
    out: tmpDir(),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, TINY, { steps: 3, seqLen: 8, batch: 2, tokenizer: 'char' }),
  });
  const { result, of } = await run(
    labelled(),
    { steps: 2, seqLen: 8, batch: 2, classify: { lmSteps: 4 } },
    { finetune: { checkpoint: lm.checkpoint! } },
  );
  const parent = loadCheckpoint(result.checkpoint!).manifest.parent!;
  assert.notEqual(parent.checkpoint, path.resolve(lm.checkpoint!));
  const middle = loadCheckpoint(parent.checkpoint).manifest;
  assert.equal(middle.task, 'lm');
  assert.equal(middle.step, 4);
  assert.equal(middle.parent?.checkpoint, path.resolve(lm.checkpoint!));
  assert.ok(
    of('log').some((e) => /language model fine-tuned on the 28 training texts for 4 steps/.test(e.message)),
  );
});
