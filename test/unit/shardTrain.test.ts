import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_TRAIN_CONFIG, mergeConfig, TrainOverrides } from '../../src/engine/config';
import type { TrainEvent } from '../../src/engine/events';
import { train, TrainOptions } from '../../src/engine/trainer';
import { initBackend } from '../../src/engine/wasm/backend';
import { fixture, sampleText, tmpDir } from '../helpers/util';

before(async () => {
  await initBackend('wasm');
});

const TINY: TrainOverrides = {
  model: { cell: 'lstm', embedding: 8, hidden: 32, layers: 2, dropout: 0.1 },
  seqLen: 16,
  batch: 4,
  lr: 1e-2,
  steps: 14,
  evalEvery: 5,
  sampleLength: 20,
  evalTokens: 512,
};

async function run(folder: string, extra: Partial<TrainOptions>, over: TrainOverrides = {}) {
  const events: TrainEvent[] = [];
  const out = tmpDir();
  const result = await train({
    folder,
    out,
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, TINY, over),
    onEvent: (e) => events.push(e),
    ...extra,
  });
  const of = <K extends TrainEvent['type']>(k: K) =>
    events.filter((e) => e.type === k) as Extract<TrainEvent, { type: K }>[];
  return { result, of, out };
}

for (const tokenizer of ['char', 'bpe'] as const) {
  test(`training from a shard (${tokenizer}) gives the losses, evaluations and samples of training in memory`, async () => {
    const dir = fixture({
      'a.txt': sampleText(3000),
      'b.md': sampleText(900, 3),
      'c/d.txt': sampleText(1500, 4),
    });
    const over: TrainOverrides = { tokenizer, vocabSize: tokenizer === 'bpe' ? 280 : 0 };
    const mem = await run(dir, { shard: 'off' }, over);
    const disk = await run(dir, { shard: 'on' }, over);
    assert.equal(
      fs.readdirSync(path.join(disk.out, '.seqlab', 'shards')).length,
      1,
      'the run wrote its shard',
    );
    assert.ok(!fs.existsSync(path.join(mem.out, '.seqlab', 'shards')), 'the in-memory run wrote none');
    assert.equal(disk.result.losses.length, 14);
    assert.deepEqual(disk.result.losses, mem.result.losses);
    assert.deepEqual(
      disk.of('eval').map((e) => e.valLoss),
      mem.of('eval').map((e) => e.valLoss),
    );
    assert.deepEqual(
      disk.of('sample').map((e) => e.text),
      mem.of('sample').map((e) => e.text),
    );
    const { folder: _a, ...memReport } = mem.of('start')[0].corpus;
    const { folder: _b, ...diskReport } = disk.of('start')[0].corpus;
    assert.deepEqual(diskReport, memReport);
  });
}

test('a run resumed from a shard reuses the shard and continues exactly', async () => {
  const dir = fixture({ 'a.txt': sampleText(3000), 'b.txt': sampleText(800, 3) });
  const full = await run(dir, { shard: 'on' });
  const first = await run(dir, { shard: 'on' }, { steps: 5 });
  const resumed = await train({
    folder: '',
    resume: first.result.runDir,
    shard: 'on',
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, { steps: 14 }),
  });
  assert.deepEqual(resumed.losses, full.result.losses.slice(5));
  assert.equal(
    fs.readdirSync(path.join(first.out, '.seqlab', 'shards')).length,
    1,
    'no second shard on resume',
  );
});
