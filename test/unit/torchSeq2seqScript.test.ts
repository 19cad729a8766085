import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { runTorchScript } from '../../bench/torch';
import type { TorchS2s } from '../../bench/paritySeq2seq';
import { Rng } from '../../src/engine/rng';
import { torchSkipReason } from '../helpers/torch';
import { tmpDir } from '../helpers/util';

const skip = torchSkipReason();
const opts = { skip: skip ? `PyTorch seq2seq script tests skipped: ${skip}` : false, timeout: 120_000 };

const V = 24;
const side = { size: V, pad: 0, bos: 1, eos: 2 };

/** A few random token-id pairs in the layout bench/paritySeq2seq.ts writes for the script. */
function dataDir(cell: string): { dir: string; val: number[][][] } {
  const rng = new Rng(5);
  const ids = (n: number) => Array.from({ length: n }, () => 3 + Math.floor(rng.next() * (V - 3)));
  const pairs = Array.from({ length: 48 }, () => [
    ids(1 + Math.floor(rng.next() * 6)),
    ids(Math.floor(rng.next() * 6)),
  ]);
  const val = pairs.slice(0, 6);
  const recipe = {
    cell,
    embedding: 8,
    hidden: 12,
    layers: 2,
    bidirectional: true,
    score: 'general',
    batch: 4,
    lr: 3e-3,
    clip: 5,
    labelSmoothing: 0.1,
    maxLenRatio: 2,
    steps: 3,
    beam: 3,
    lengthPenalty: 1,
    beamSentences: 4,
    threads: 1,
  };
  const dir = tmpDir('seqlab-torch-s2s-');
  fs.writeFileSync(
    path.join(dir, 'data.json'),
    JSON.stringify({ source: side, target: side, recipe, train: pairs, val }),
  );
  return { dir, val };
}

const run = (mode: 'parity' | 'speed', dir: string, feed: boolean) =>
  runTorchScript<TorchS2s & { loss: number }>('torch_seq2seq.py', [
    mode,
    '--data',
    dir,
    '--seed',
    '3',
    '--steps',
    '3',
    ...(feed ? ['--input-feeding'] : []),
  ]);

test('the PyTorch seq2seq reference trains and greedy-decodes with --input-feeding', opts, () => {
  const { dir, val } = dataDir('lstm');
  const fed = run('parity', dir, true);
  const plain = run('parity', dir, false);
  assert.ok(Number.isFinite(fed.loss) && fed.loss > 0);
  // The same seed and batches: only the decoder's fed attentional vector differs.
  assert.notEqual(fed.loss, plain.loss);
  assert.equal(fed.hyps!.length, val.length);
  fed.hyps!.forEach((h, i) => {
    assert.ok(h.length <= Math.ceil(2 * val[i][0].length) + 5);
    for (const id of h) assert.ok(id > side.eos && id < V, `id ${id}`);
  });
});

test('the PyTorch seq2seq reference beam-searches with --input-feeding (GRU)', opts, () => {
  const { dir, val } = dataDir('gru');
  const fed = run('speed', dir, true);
  assert.ok(fed.sentences_per_s! > 0);
  const longest = Math.max(...val.slice(0, 4).map((p) => Math.ceil(2 * p[0].length) + 5));
  assert.ok(fed.beam_mean_length! >= 1 && fed.beam_mean_length! <= longest);
});
