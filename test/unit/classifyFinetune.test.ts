import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/wasm/backend';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import { DEFAULT_TRAIN_CONFIG, mergeConfig, TrainConfig, TrainOverrides } from '../../src/engine/config';
import { LanguageModel } from '../../src/engine/model/model';
import type { TrainEvent } from '../../src/engine/events';
import { trainTask } from '../../src/engine/tasks/registry';
import { encodeSet, makeBatch } from '../../src/engine/tasks/classify/batch';
import { readLabelledData } from '../../src/engine/tasks/classify/data';
import { specOf } from '../../src/engine/tasks/classify/spec';
import { classifierStart } from '../../src/engine/tasks/classify/start';
import { ClassifierTask } from '../../src/engine/tasks/classify/task';
import { gradientStep } from '../../src/engine/training/gradientStep';
import { createOptimizer } from '../../src/engine/training/optimizer';
import { fixture, sampleText, tmpDir } from '../helpers/util';

before(async () => {
  await initBackend('wasm');
});

const TINY: TrainOverrides = {
  model: { cell: 'lstm', embedding: 8, hidden: 16, layers: 2, dropout: 0 },
  seqLen: 8,
  batch: 4,
  lr: 1e-2,
  sampleLength: 0,
  tokenizer: 'char',
};

function labelled(): string {
  const files: Record<string, string> = {};
  for (let i = 0; i < 8; i++) {
    files[`pos/p${i}.txt`] = `it was good and fine ${i}`;
    files[`neg/n${i}.txt`] = `it was bad and sad, really ${i}`;
  }
  return fixture(files);
}

async function languageModel(): Promise<string> {
  const lm = await trainTask({
    folder: fixture({ 'a.txt': sampleText(4000) }),
    out: tmpDir(),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, TINY, { steps: 5 }),
  });
  return lm.checkpoint!;
}

/** A classifier task fine-tuned from `lm`, built as trainClassifier builds it. */
async function fineTuneTask(folder: string, lm: string, over: TrainOverrides) {
  const config: TrainConfig = mergeConfig(DEFAULT_TRAIN_CONFIG, TINY, { task: 'classify' }, over);
  const s = classifierStart(folder, config, undefined, lm);
  const data = readLabelledData(folder, {});
  const spec = specOf(data.labels, s.options, s.fromLanguageModel);
  const task = await ClassifierTask.create({
    model: { ...s.modelConfig, vocabSize: s.tokenizer!.vocabSize },
    spec,
    options: s.options,
    config: s.config,
    tokenizer: s.tokenizer!,
    train: encodeSet(data.train, s.tokenizer!, spec.labels, spec.maxLen, spec.keep),
    val: encodeSet(data.val, s.tokenizer!, spec.labels, spec.maxLen, spec.keep),
    baselines: [],
    weights: s.weights,
    epoch: 0,
    step: 0,
    fromLanguageModel: true,
    emit: () => {},
  });
  return {
    task,
    config: s.config,
    train: encodeSet(data.train, s.tokenizer!, spec.labels, spec.maxLen, spec.keep),
  };
}

const values = (task: ClassifierTask) =>
  new Map([...task.params].map(([k, v]) => [k, Float32Array.from(v.dataSync())]));

test('a classifier fine-tuned from a language model starts from its encoder and computes its hidden states', async () => {
  const lm = await languageModel();
  const lmData = loadCheckpoint(lm);
  const { task } = await fineTuneTask(labelled(), lm, { classify: { pooling: 'mean' } });
  try {
    for (const [name, w] of lmData.weights) {
      if (name.startsWith('output/')) {
        assert.ok(!task.params.has(name), `${name} stays behind`);
        continue;
      }
      assert.deepEqual(Array.from(task.params.get(name)!.dataSync()), Array.from(w.data), name);
    }
    // The mean-pooled features are the language model's own top-layer states, averaged over each text.
    const net = new LanguageModel(lmData.manifest.model, lmData.weights);
    const seqs = [Int32Array.from([3, 5, 7, 9, 11]), Int32Array.from([4, 6])];
    const b = makeBatch(seqs, [0, 1]);
    const h = net.hidden(b.ids, b.T, b.B, net.zeroState(b.B), { training: false }, []).arraySync();
    const f = task.net.features(b, { training: false }).arraySync();
    const H = lmData.manifest.model.hidden;
    seqs.forEach((s, i) => {
      for (let j = 0; j < H; j++) {
        let mean = 0;
        for (let t = 0; t < s.length; t++) mean += h[t * b.B + i][j] / s.length;
        assert.ok(Math.abs(mean - f[i][j]) < 1e-5, `example ${i} unit ${j}: ${mean} vs ${f[i][j]}`);
      }
    });
    net.dispose();
  } finally {
    task.dispose();
  }
});

test('gradual unfreezing with discriminative rates: each layer is untouched until its step, then moves by its own rate', async () => {
  const lm = await languageModel();
  const lr = 1e-2;
  const { task, config } = await fineTuneTask(labelled(), lm, {
    lr,
    clip: 0,
    classify: { gradualUnfreeze: true, unfreezeEvery: 1, discriminativeLr: true },
  });
  const optimizer = createOptimizer(config, task.lrScale, [], 0);
  // Kernels only (the PyTorch init doubles the recurrent biases' rate); levels from the top.
  const joins: [string, number][] = [
    ['classifier/kernel', 1],
    ['layer_1/kernel', 2],
    ['layer_0/kernel', 3],
    ['embedding', 4],
  ];
  try {
    let before = values(task);
    for (let step = 1; step <= 4; step++) {
      await gradientStep(task, optimizer, config, step - 1, step, false);
      task.commitStep();
      const after = values(task);
      joins.forEach(([name, from], level) => {
        const moved = after.get(name)!.map((x, i) => Math.abs(x - before.get(name)![i]));
        const most = Math.max(...moved);
        if (step < from) assert.equal(most, 0, `${name} is frozen at step ${step}`);
        else if (step === from) {
          // Adam's first step for a parameter is its rate times sign(g), whenever the parameter joins.
          const rate = lr / 2.6 ** level;
          assert.ok(
            Math.abs(most - rate) < 1e-3 * rate,
            `${name} at step ${step}: moved ${most}, rate ${rate}`,
          );
        } else assert.ok(most > 0, `${name} trains at step ${step}`);
      });
      before = after;
    }
  } finally {
    optimizer.dispose();
    task.dispose();
  }
});

test('fine-tuned from a language model, the head starts on standardized features; from scratch only with --standardize', async () => {
  const lm = await languageModel();
  const folder = labelled();
  const { task, train } = await fineTuneTask(folder, lm, { classify: { pooling: 'mean' } });
  try {
    const b = makeBatch(train.seqs, train.labels);
    const f = task.net.features(b, { training: false }).arraySync();
    const shift = task.params.get('classifier/shift')!.arraySync() as number[];
    const scale = task.params.get('classifier/scale')!.arraySync() as number[];
    for (let j = 0; j < shift.length; j++) {
      const z = f.map((row) => (row[j] + shift[j]) * scale[j]);
      const mean = z.reduce((a, x) => a + x, 0) / z.length;
      const sd = Math.sqrt(z.reduce((a, x) => a + (x - mean) ** 2, 0) / z.length);
      assert.ok(Math.abs(mean) < 1e-3, `unit ${j}: mean ${mean}`);
      // Units that hardly vary are scaled up at most as a variance of 1e-4 allows.
      const raw = sd / scale[j];
      assert.ok(Math.abs(sd - raw / Math.sqrt(raw * raw + 1e-4)) < 1e-3, `unit ${j}: spread ${sd}`);
    }
  } finally {
    task.dispose();
  }
  const scratch = await trainTask({
    folder,
    out: tmpDir(),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, TINY, { task: 'classify', steps: 1 }),
  });
  const m = loadCheckpoint(scratch.checkpoint!);
  assert.equal(m.manifest.taskSpec?.standardize, false);
  assert.ok(!m.weights.has('classifier/shift'));
  const asked = await trainTask({
    folder,
    out: tmpDir(),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, TINY, {
      task: 'classify',
      steps: 1,
      classify: { standardize: true },
    }),
  });
  const a = loadCheckpoint(asked.checkpoint!);
  assert.equal(a.manifest.taskSpec?.standardize, true);
  assert.ok(a.weights.has('classifier/scale'));
});

test('fine-tuned from a language model, characters its corpus lacked are counted as unknown in the run report', async () => {
  const lm = await languageModel();
  // sampleText has no 'z' or 'q': those become <unk> under the language model's vocabulary.
  const folder = fixture({
    'pos/a.txt': 'it was good zz',
    'pos/b.txt': 'it was nice',
    'neg/c.txt': 'it was bad q',
    'neg/d.txt': 'it was sad',
  });
  const events: TrainEvent[] = [];
  await trainTask({
    folder,
    out: tmpDir(),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, TINY, { task: 'classify', steps: 1 }),
    finetune: { checkpoint: lm },
    onEvent: (e) => events.push(e),
  });
  const start = events.find((e) => e.type === 'start') as Extract<TrainEvent, { type: 'start' }>;
  assert.equal(start.corpus.unknownTokens, 3);
});
