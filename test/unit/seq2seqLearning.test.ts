import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { initBackend } from '../../src/engine/wasm/backend';
import { DEFAULT_TRAIN_CONFIG, mergeConfig } from '../../src/engine/config';
import { Rng } from '../../src/engine/rng';
import { trainSeq2seq } from '../../src/engine/tasks/seq2seq/train';
import { loadSeq2seq } from '../../src/engine/tasks/seq2seq/spec';
import { greedyBatch } from '../../src/engine/tasks/seq2seq/decode';
import { encodePairs } from '../../src/engine/tasks/seq2seq/data';
import { tmpDir } from '../helpers/util';

before(async () => {
  await initBackend('wasm');
});

function randomStrings(n: number, seed: number): string[] {
  const rng = new Rng(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = 3 + Math.floor(rng.next() * 4);
    let s = '';
    for (let j = 0; j < len; j++) s += 'abcdef'[Math.floor(rng.next() * 6)];
    out.push(s);
  }
  return out;
}

test('the classic sanity task: reversing short random strings is learned to ≥ 99% exact match', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'reverse.tsv');
  const rev = (s: string) => [...s].reverse().join('');
  fs.writeFileSync(
    file,
    randomStrings(3000, 1)
      .map((s) => `${s}\t${rev(s)}`)
      .join('\n') + '\n',
  );
  const r = await trainSeq2seq({
    folder: file,
    out: dir,
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, {
      task: 'seq2seq',
      model: { cell: 'lstm', hidden: 64, embedding: 16, layers: 1 },
      batch: 32,
      lr: 5e-3,
      steps: 500,
      evalEvery: 250,
      seq2seq: { labelSmoothing: 0, bleuPairs: 50, bidirectional: true },
    }),
  });
  const m = loadSeq2seq(r.checkpoint!, 'Translating');
  const held = randomStrings(300, 99).map((s) => ({ source: s, target: rev(s) }));
  const enc = encodePairs(
    held,
    m.source,
    m.target,
    { maxLen: 0, overLength: 'truncate' },
    { truncated: 0, dropped: 0, unknown: 0 },
  );
  const out = (await greedyBatch(m.model, m.source, m.target, enc, 2)).map((ids) => m.target.decode(ids));
  const exact = out.filter((o, i) => o === held[i].target).length / held.length;
  console.log(`# reverse: exact match ${(100 * exact).toFixed(1)}% after ${r.step} steps`);
  m.model.dispose();
  assert.ok(exact >= 0.99, `exact match ${exact}`);
});

test('the copy task is learned with input feeding (the step-by-step decoder) to ≥ 95% exact match', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'copy.tsv');
  fs.writeFileSync(
    file,
    randomStrings(2000, 2)
      .map((s) => `${s}\t${s}`)
      .join('\n') + '\n',
  );
  const r = await trainSeq2seq({
    folder: file,
    out: dir,
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, {
      task: 'seq2seq',
      model: { cell: 'gru', hidden: 32, embedding: 16, layers: 1 },
      batch: 32,
      lr: 1e-2,
      steps: 500,
      evalEvery: 500,
      seq2seq: { labelSmoothing: 0, bleuPairs: 20, beam: 1, inputFeeding: true },
    }),
  });
  const m = loadSeq2seq(r.checkpoint!, 'Translating');
  assert.equal(m.options.inputFeeding, true, 'the checkpoint records input feeding');
  assert.ok(m.model.params.has('input_feed/kernel'));
  const held = randomStrings(200, 98).map((s) => ({ source: s, target: s }));
  const enc = encodePairs(
    held,
    m.source,
    m.target,
    { maxLen: 0, overLength: 'truncate' },
    { truncated: 0, dropped: 0, unknown: 0 },
  );
  const out = (await greedyBatch(m.model, m.source, m.target, enc, 2)).map((ids) => m.target.decode(ids));
  const exact = out.filter((o, i) => o === held[i].target).length / held.length;
  console.log(`# copy with input feeding: exact match ${(100 * exact).toFixed(1)}% after ${r.step} steps`);
  m.model.dispose();
  assert.ok(exact >= 0.95, `exact match ${exact}`);
});
