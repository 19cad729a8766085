import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_TRAIN_CONFIG, mergeConfig } from '../../src/engine/config';
import { SeqLabError } from '../../src/engine/errors';
import { ensureShard, openShard, shardKey, writeShard } from '../../src/engine/data/shard';
import { prepareLanguageData } from '../../src/engine/tasks/languageModel/data';
import type { TokenizerKind } from '../../src/engine/tokenizers';
import { fixture, sampleText, tmpDir } from '../helpers/util';

function corpus(): string {
  return fixture({
    'a.txt': sampleText(3000, 1),
    'b.md': '\ufeff' + sampleText(2000, 2) + ' ünïcødé 😀',
    'c/d.txt': sampleText(2500, 3),
    'c/e.py': 'def f(x):\n    return x * 2\n',
    'empty.txt': '',
    'bin.txt': Buffer.from([1, 0, 2]),
    'f.txt': sampleText(1800, 4),
  });
}

/** Every id of a split, read back through the reader in uneven pieces. */
function readAll(file: ReturnType<typeof openShard>['train']): Int32Array {
  const out = new Int32Array(file.length);
  for (let at = 0; at < file.length; at += 777) out.set(file.read(at, Math.min(777, file.length - at)), at);
  return out;
}

for (const kind of ['char', 'word', 'bpe'] as TokenizerKind[]) {
  test(`shard (${kind}): the token streams equal what the in-memory run trains on`, () => {
    const folder = corpus();
    const config = mergeConfig(DEFAULT_TRAIN_CONFIG, {
      tokenizer: kind,
      vocabSize: kind === 'bpe' ? 300 : 0,
    });
    const mem = prepareLanguageData(folder, config);
    const dir = path.join(tmpDir(), 'shard');
    const meta = writeShard(folder, dir, {
      tokenizer: { kind, vocabSize: config.vocabSize },
      valFraction: config.valFraction,
    });
    assert.deepEqual(meta.tokenizer, mem.tokenizer.toJSON());
    assert.equal(meta.dtype, 'uint16');
    const shard = openShard(dir);
    try {
      assert.deepEqual(readAll(shard.train), mem.trainTokens);
      assert.deepEqual(readAll(shard.val), mem.valTokens);
      assert.equal(meta.train.chars, mem.corpus!.trainChars);
      assert.equal(meta.val.chars, mem.corpus!.valChars);
      assert.equal(meta.skipped.length, mem.corpus!.skipped.length);
      assert.equal(meta.prime, (mem.corpus!.val[0] ?? mem.corpus!.train[0]).slice(0, 40));
      assert.equal(fs.statSync(path.join(dir, 'train.bin')).size, 2 * mem.trainTokens.length);
    } finally {
      shard.close();
    }
  });
}

test('shard: a single file splits at its tail like the in-memory corpus', () => {
  const folder = fixture({ 'only.txt': sampleText(4000, 7) });
  const config = mergeConfig(DEFAULT_TRAIN_CONFIG, {});
  const mem = prepareLanguageData(path.join(folder, 'only.txt'), config);
  const dir = path.join(tmpDir(), 's');
  writeShard(path.join(folder, 'only.txt'), dir, { tokenizer: mem.tokenizer });
  const shard = openShard(dir);
  assert.deepEqual(readAll(shard.train), mem.trainTokens);
  assert.deepEqual(readAll(shard.val), mem.valTokens);
  shard.close();
});

test('shard: reused while the corpus is unchanged, rewritten when a file changes', () => {
  const folder = corpus();
  const root = tmpDir();
  const opts = { tokenizer: { kind: 'char' as const, vocabSize: 0 } };
  const first = ensureShard(folder, root, opts);
  assert.equal(ensureShard(folder, root, opts), first);
  fs.appendFileSync(path.join(folder, 'a.txt'), 'more text\n');
  const second = ensureShard(folder, root, opts);
  assert.notEqual(second, first);
  assert.equal(path.basename(second), shardKey(folder, opts));
  // Only complete shards: no temporary folder is left beside them.
  assert.deepEqual(
    fs.readdirSync(path.dirname(first)).filter((n) => n.includes('.tmp-')),
    [],
  );
});

test('shard: a damaged shard is refused with what to do', () => {
  const folder = corpus();
  const dir = path.join(tmpDir(), 's');
  writeShard(folder, dir, { tokenizer: { kind: 'char', vocabSize: 0 } });
  fs.truncateSync(path.join(dir, 'train.bin'), 3);
  assert.throws(
    () => openShard(dir),
    (err: SeqLabError) =>
      /not a usable SeqLab shard: train\.bin holds 3 bytes.*Delete the folder/.test(err.describe()),
  );
});

test('shard: a vocabulary of 65536 or more is stored as uint32', () => {
  const words = Array.from({ length: 70000 }, (_, i) => `w${i}`).join(' ');
  const folder = fixture({ 'a.txt': words, 'b.txt': words });
  const dir = path.join(tmpDir(), 's');
  const meta = writeShard(folder, dir, { tokenizer: { kind: 'word', vocabSize: 100000 } });
  assert.equal(meta.dtype, 'uint32');
  assert.ok(meta.vocabSize >= 65536);
  const shard = openShard(dir);
  const ids = shard.train.read(0, shard.train.length);
  assert.equal(shard.tokenizer.decode(ids), words);
  assert.ok(ids.reduce((a, b) => Math.max(a, b), 0) >= 65536);
  shard.close();
});
