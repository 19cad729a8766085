import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { initBackend } from '../../src/engine/wasm/backend';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import { DEFAULT_TRAIN_CONFIG, mergeConfig, TrainOverrides } from '../../src/engine/config';
import type { StartEvent, TrainEvent } from '../../src/engine/events';
import { train, TrainOptions } from '../../src/engine/trainer';
import { fixture, sampleText, tmpDir } from '../helpers/util';

before(async () => {
  await initBackend('wasm');
});

const TINY: TrainOverrides = {
  model: { cell: 'lstm', embedding: 8, hidden: 32, layers: 1, dropout: 0 },
  seqLen: 16,
  batch: 4,
  lr: 1e-2,
  evalEvery: 1000,
  sampleLength: 20,
  evalTokens: 512,
};

async function run(folder: string, over: TrainOverrides, extra: Partial<TrainOptions> = {}) {
  const events: TrainEvent[] = [];
  const result = await train({
    folder,
    out: tmpDir(),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, TINY, over),
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return {
    result,
    events,
    of: <K extends TrainEvent['type']>(k: K) =>
      events.filter((e) => e.type === k) as Extract<TrainEvent, { type: K }>[],
  };
}

for (const cell of ['rnn', 'lstm', 'gru'] as const) {
  test(`${cell} overfits a tiny corpus: training loss falls below 0.25 nats`, async () => {
    const dir = fixture({ 'a.txt': 'the quick brown fox jumps over the lazy dog. '.repeat(12) });
    const { result } = await run(dir, { model: { cell }, steps: 250, valFraction: 0 });
    const last = result.losses.slice(-10).reduce((a, b) => a + b, 0) / 10;
    assert.ok(last < 0.25, `${cell}: mean loss of the last 10 steps ${last.toFixed(3)}`);
  });
}

test('the same seed and config give identical losses (with dropout)', async () => {
  const dir = fixture({ 'a.txt': sampleText(4000), 'b.txt': sampleText(1000, 2) });
  const over: TrainOverrides = { model: { layers: 2, dropout: 0.2 }, steps: 12 };
  const a = await run(dir, over);
  const b = await run(dir, over);
  assert.deepEqual(a.result.losses, b.result.losses);
  const c = await run(dir, { ...over, seed: 2 });
  assert.notDeepEqual(a.result.losses, c.result.losses);
});

test('a hidden size that is not a multiple of 4 trains, and the log says how to get the fast kernel', async () => {
  const dir = fixture({ 'a.txt': sampleText(3000) });
  const slow = await run(dir, { model: { hidden: 30 }, steps: 2 });
  assert.equal(slow.result.losses.length, 2);
  const hint = slow.of('log').find((e) => e.message.includes('not a multiple of 4'));
  assert.ok(hint, 'no log line about the hidden size');
  assert.match(hint.message, /hidden size 30 .* a hidden size of 32 would use the kernel/);
  const fast = await run(dir, { model: { hidden: 32 }, steps: 1 });
  assert.ok(!fast.of('log').some((e) => e.message.includes('not a multiple of 4')));
});

test('resume continues exactly: the losses after the checkpoint equal the uninterrupted run', async () => {
  const dir = fixture({ 'a.txt': sampleText(3000), 'b.txt': sampleText(800, 3) });
  const over: TrainOverrides = { model: { cell: 'gru', layers: 2, dropout: 0.1 }, evalEvery: 6 };
  const full = await run(dir, { ...over, steps: 14 });
  const first = await run(dir, { ...over, steps: 6 });
  const events: TrainEvent[] = [];
  const resumed = await train({
    folder: '',
    resume: first.result.runDir,
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, { steps: 14 }),
    onEvent: (e) => events.push(e),
  });
  assert.equal((events.find((e) => e.type === 'start') as StartEvent).resumedFromStep, 6);
  assert.deepEqual(resumed.losses, full.result.losses.slice(6));
  const lines = fs
    .readFileSync(path.join(first.result.runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.filter((l) => l.type === 'step').length, 14, 'metrics.jsonl holds both sessions');
});

test('a checkpoint from before the init option resumes as the Keras-initialised run it was', async () => {
  const dir = fixture({ 'a.txt': sampleText(3000), 'b.txt': sampleText(800, 3) });
  const over: TrainOverrides = { init: 'keras', model: { cell: 'lstm' }, evalEvery: 6 };
  const full = await run(dir, { ...over, steps: 10 });
  const first = await run(dir, { ...over, steps: 6 });
  // Such manifests have no `init`: remove it, as an older SeqLab wrote them.
  const ckDir = path.join(first.result.runDir, 'checkpoints');
  for (const name of fs.readdirSync(ckDir)) {
    const file = path.join(ckDir, name, 'manifest.json');
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    delete m.train.init;
    fs.writeFileSync(file, JSON.stringify(m));
  }
  const resumed = await train({
    folder: '',
    resume: first.result.runDir,
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, { steps: 10 }),
  });
  assert.deepEqual(resumed.losses, full.result.losses.slice(6), 'same math as the uninterrupted Keras run');
});

test('events: step, timestepGradients, eval, sample, checkpoint, done — and each is in metrics.jsonl', async () => {
  const dir = fixture({ 'a.txt': sampleText(3000), 'b.txt': sampleText(800, 5) });
  const { result, events, of } = await run(dir, {
    model: { layers: 2 },
    steps: 10,
    evalEvery: 5,
    gradEvery: 5,
    clip: 0.05,
  });
  const step = of('step')[0];
  assert.ok(step.loss > 0 && step.gradNorm > 0 && step.tokensPerSec > 0 && step.lr > 0);
  assert.deepEqual(Object.keys(step.layerGradNorms).sort(), ['embedding', 'layer_0', 'layer_1', 'output']);
  const total = Math.sqrt(Object.values(step.layerGradNorms).reduce((a, n) => a + n * n, 0));
  assert.ok(
    Math.abs(total - step.gradNorm) < 1e-3 * step.gradNorm,
    'per-layer norms compose the global norm',
  );
  assert.ok(
    of('step').every((s) => s.clipped),
    'a clip of 0.05 clips every step',
  );
  const tg = of('timestepGradients');
  assert.deepEqual(
    tg.map((e) => e.step),
    [5, 10],
  );
  assert.equal(tg[0].norms.length, 2);
  assert.equal(tg[0].norms[0].length, 16);
  assert.ok(tg[0].norms.flat().every((n) => n > 0));
  assert.equal(of('eval').length, 2);
  assert.ok(of('eval')[0].bpc! > 0);
  assert.equal(of('sample').length, 2);
  assert.equal(of('checkpoint').length, 2);
  assert.equal(of('done')[0].reason, 'steps');
  const lines = fs.readFileSync(path.join(result.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, events.length);
  assert.ok(fs.existsSync(path.join(result.runDir, 'config.json')));
  assert.equal(
    JSON.parse(fs.readFileSync(path.join(result.runDir, 'status.json'), 'utf8')).status,
    'finished',
  );
});

test('stopping saves a loadable checkpoint and marks the run stopped', async () => {
  const dir = fixture({ 'a.txt': sampleText(3000) });
  let n = 0;
  const { result, of } = await run(dir, { steps: 1000 }, { shouldStop: () => ++n > 4 });
  assert.equal(result.reason, 'stopped');
  assert.equal(result.step, 4);
  assert.ok(result.checkpoint);
  assert.equal(loadCheckpoint(result.checkpoint!).manifest.step, 4);
  assert.equal(of('checkpoint').at(-1)?.reason, 'stopped');
  assert.equal(of('done')[0].reason, 'stopped');
  assert.equal(
    JSON.parse(fs.readFileSync(path.join(result.runDir, 'status.json'), 'utf8')).status,
    'stopped',
  );
});

test('fine-tune keeps the tokenizer, counts <unk>, records the parent, freezes and adds layers', async () => {
  const base = await run(fixture({ 'a.txt': 'abc abc abc cab bac '.repeat(40) }), { steps: 4 });
  const ck = base.result.checkpoint!;
  const src = loadCheckpoint(ck);
  const ft = await run(
    fixture({ 'b.txt': 'abc xyz abc xyz '.repeat(40) }),
    { steps: 3, lr: 0.05 },
    { finetune: { checkpoint: ck, freezeEmbedding: true, addLayer: true } },
  );
  const start = ft.of('start')[0];
  assert.ok(start.corpus.unknownTokens > 0, 'x, y and z are not in the parent vocabulary');
  const out = loadCheckpoint(ft.result.checkpoint!);
  assert.deepEqual(out.manifest.tokenizer, src.manifest.tokenizer);
  assert.equal(out.manifest.model.layers, src.manifest.model.layers + 1);
  assert.equal(out.manifest.parent?.checkpoint, path.resolve(ck));
  assert.deepEqual(
    Array.from(out.weights.get('embedding')!.data),
    Array.from(src.weights.get('embedding')!.data),
    'frozen embedding unchanged',
  );
  assert.notDeepEqual(
    Array.from(out.weights.get('layer_0/kernel')!.data),
    Array.from(src.weights.get('layer_0/kernel')!.data),
  );
  const cfg = JSON.parse(fs.readFileSync(path.join(ft.result.runDir, 'config.json'), 'utf8'));
  assert.equal(cfg.parent.checkpoint, path.resolve(ck));
});

test('a corpus smaller than one window fails with a clear error', async () => {
  await assert.rejects(
    run(fixture({ 'a.txt': 'tiny' }), { steps: 3, valFraction: 0 }),
    /fewer than one window/,
  );
});

// The timeout turns the old bug (a resumed time-budgeted run trained forever) into a failure.
test(
  'resume keeps a time-budgeted run bounded: --time adds seconds to what it already trained',
  { timeout: 60_000 },
  async () => {
    const dir = fixture({ 'a.txt': sampleText(6000) });
    const first = await run(dir, { timeSeconds: 0.4, evalEvery: 100000 });
    assert.equal(first.result.reason, 'time');
    // Without new limits the run keeps its own budget, which is spent: it stops at once.
    const same = await train({
      folder: '',
      resume: first.result.runDir,
      config: mergeConfig(DEFAULT_TRAIN_CONFIG, {}),
    });
    assert.equal(same.reason, 'time');
    assert.equal(same.losses.length, 0);
    const more = await train({
      folder: '',
      resume: first.result.runDir,
      config: mergeConfig(DEFAULT_TRAIN_CONFIG, { timeSeconds: 0.4 }),
    });
    assert.equal(more.reason, 'time');
    assert.ok(more.losses.length > 0, 'trained for the extra time');
  },
);
