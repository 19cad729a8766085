import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { SeqLabError } from '../../src/engine/errors';
import { CharTokenizer } from '../../src/engine/tokenizers';
import { encodePairs } from '../../src/engine/tasks/seq2seq/data';
import { describeSkips, heldOut, readPairs } from '../../src/engine/tasks/seq2seq/pairs';
import { SideVocab } from '../../src/engine/tasks/seq2seq/vocab';
import { tmpDir } from '../helpers/util';

test('TSV: lines without a tab are counted and skipped, the first named; extra columns ignored', () => {
  const f = path.join(tmpDir(), 'p.tsv');
  fs.writeFileSync(f, 'a\tA\textra\nno tab\nb\tB\n \tX\nalso none\nc\tC\n');
  const s = readPairs(f, { valFraction: 0 });
  assert.deepEqual(
    s.train.map((p) => p.target),
    ['A', 'B', 'C'],
  );
  assert.deepEqual(s.report.noTab, { count: 2, firstLine: 2 });
  assert.deepEqual(s.report.emptySide, { count: 1, firstLine: 4 });
  assert.match(describeSkips(s.report)[0], /2 line\(s\) without a tab .* \(first: line 2\)/);
});

test('JSONL with chosen keys', () => {
  const f = path.join(tmpDir(), 'p.jsonl');
  fs.writeFileSync(f, '{"en":"hi","fr":"salut"}\n{"en":"yes","fr":"oui"}\nnot json\n');
  const s = readPairs(f, { sourceKey: 'en', targetKey: 'fr', valFraction: 0 });
  assert.deepEqual(s.train, [
    { source: 'hi', target: 'salut' },
    { source: 'yes', target: 'oui' },
  ]);
  assert.deepEqual(s.report.badJson, { count: 1, firstLine: 3 });
  assert.throws(() => readPairs(f, { valFraction: 0 }), /--source-key|"source" and "target"/);
});

test('aligned files: a folder of train/valid pairs gives the splits; different line counts name both files', () => {
  const d = tmpDir();
  fs.writeFileSync(path.join(d, 'train.en'), 'one\ntwo\n');
  fs.writeFileSync(path.join(d, 'train.de'), 'eins\nzwei\n');
  fs.writeFileSync(path.join(d, 'valid.en'), 'three\n');
  fs.writeFileSync(path.join(d, 'valid.de'), 'drei\n');
  const s = readPairs(d);
  // The source side is the alphabetically first extension unless one is .src.
  assert.deepEqual(
    s.train,
    [
      { source: 'zwei', target: 'two' },
      { source: 'eins', target: 'one' },
    ].reverse(),
  );
  assert.deepEqual(s.val, [{ source: 'drei', target: 'three' }]);
  assert.equal(s.valFrom, 'valid.de + valid.en');
  fs.writeFileSync(path.join(d, 'train.en'), 'one\ntwo\nthree\n');
  assert.throws(
    () => readPairs(d),
    (e: unknown) =>
      e instanceof SeqLabError && /train\.de has 2 lines, .*train\.en has 3/.test(e.message) && !!e.hint,
  );
});

test('the validation split is by hash of the source line: stable, and about the fraction asked', () => {
  const lines = Array.from({ length: 2000 }, (_, i) => `sentence ${i}\tphrase ${i}`);
  const f = path.join(tmpDir(), 'p.tsv');
  fs.writeFileSync(f, lines.join('\n'));
  const a = readPairs(f, { valFraction: 0.1 });
  const b = readPairs(f, { valFraction: 0.1 });
  assert.deepEqual(a.val, b.val);
  assert.ok(a.val.length > 150 && a.val.length < 250, `${a.val.length} of 2000 held out`);
  assert.ok(a.val.every((p) => heldOut(p.source, 0.1)));
});

test('pairs over the maximum length are truncated or dropped, and counted', () => {
  const v = new SideVocab(CharTokenizer.train(['abcdefgh']));
  const pairs = [
    { source: 'abc', target: 'ab' },
    { source: 'abcdefgh', target: 'a' },
    { source: 'a', target: 'abcdefgh' },
  ];
  const t = { truncated: 0, dropped: 0, unknown: 0 };
  const cut = encodePairs(pairs, v, v, { maxLen: 4, overLength: 'truncate' }, t);
  assert.equal(cut.length, 3);
  assert.equal(t.truncated, 2);
  assert.equal(cut[1].src.length, 5, 'four tokens and the end token');
  const d = { truncated: 0, dropped: 0, unknown: 0 };
  assert.equal(encodePairs(pairs, v, v, { maxLen: 4, overLength: 'drop' }, d).length, 1);
  assert.equal(d.dropped, 2);
});
