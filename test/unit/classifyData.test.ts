import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { SeqLabError } from '../../src/engine/errors';
import { countLabels, readLabelledData } from '../../src/engine/tasks/classify/data';
import { classMetrics } from '../../src/engine/tasks/classify/metrics';
import { bucketedBatches, encodeExample, makeBatch } from '../../src/engine/tasks/classify/batch';
import { majorityBaseline, naiveBayesBaseline } from '../../src/engine/tasks/classify/baselines';
import { CharTokenizer } from '../../src/engine/tokenizers';
import { fixture } from '../helpers/util';

const files = (label: string, n: number, text = (i: number) => `${label} example number ${i}`) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`${label}/f${i}.txt`, text(i)]));

function throwsData(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof SeqLabError && pattern.test(e.describe()));
}

test('a folder per label: labels sorted, split by hash and stratified, stable', () => {
  const dir = fixture({ ...files('pos', 20), ...files('neg', 10) });
  const d = readLabelledData(dir, { valFraction: 0.2 });
  assert.deepEqual(d.labels, ['neg', 'pos']);
  assert.equal(d.split, 'hash');
  const val = countLabels(d.val);
  assert.equal(val.get('pos'), 4);
  assert.equal(val.get('neg'), 2);
  assert.equal(d.train.length + d.val.length, 30);
  assert.deepEqual(
    readLabelledData(dir, { valFraction: 0.2 }).val.map((x) => x.source),
    d.val.map((x) => x.source),
  );
  // Every example keeps its label folder as its label, including nested files.
  assert.ok(d.train.every((x) => path.basename(path.dirname(x.source)) === x.label));
});

test('train/ and test/ folders are the splits', () => {
  const dir = fixture({
    ...Object.fromEntries(
      Object.entries({ ...files('a', 3), ...files('b', 3) }).map(([k, v]) => [`train/${k}`, v]),
    ),
    ...Object.fromEntries(
      Object.entries({ ...files('a', 2), ...files('b', 1) }).map(([k, v]) => [`test/${k}`, v]),
    ),
  });
  const d = readLabelledData(dir);
  assert.equal(d.split, 'folders');
  assert.equal(d.train.length, 6);
  assert.equal(d.val.length, 3);
  assert.ok(d.val.every((x) => x.source.includes(`${path.sep}test${path.sep}`)));
});

test('empty and binary files are skipped, counted and named', () => {
  const dir = fixture({
    ...files('a', 3),
    ...files('b', 3),
    'a/empty.txt': '  \n',
    'b/blob.bin': Buffer.from([1, 2, 0, 3]),
  });
  const d = readLabelledData(dir);
  assert.equal(d.skipped.length, 2);
  assert.match(d.skipped.find((s) => s.path.endsWith('empty.txt'))!.reason, /empty/);
  assert.match(d.skipped.find((s) => s.path.endsWith('blob.bin'))!.reason, /binary/);
});

test('one label only is an error; a label with a single example is a warning', () => {
  throwsData(() => readLabelledData(fixture(files('only', 4))), /Only one label \("only"\).*at least two/);
  const d = readLabelledData(fixture({ ...files('a', 4), ...files('b', 1) }));
  assert.equal(d.warnings.length, 1);
  assert.match(d.warnings[0], /"b" has a single example/);
});

test('a CSV table: columns detected by name, quoted fields, TSV and JSONL alike', () => {
  const csv = fixture({
    'r.csv':
      'id,Sentiment,Review\n1,pos,"great, really"\n2,neg,awful\n3,pos,fine\n4,neg,"bad ""very"" bad"\n',
  });
  const d = readLabelledData(path.join(csv, 'r.csv'), { valFraction: 0 });
  assert.equal(d.format, 'csv');
  assert.deepEqual(d.labels, ['neg', 'pos']);
  assert.ok(d.train.some((x) => x.text === 'great, really' && x.label === 'pos'));
  assert.ok(d.train.some((x) => x.text === 'bad "very" bad'));
  const tsv = fixture({ 't.tsv': 'label\ttext\nx\tone\ny\ttwo\n' });
  assert.equal(readLabelledData(path.join(tsv, 't.tsv'), { valFraction: 0 }).train.length, 2);
  const jl = fixture({ 'j.jsonl': '{"sentence":"a b","class":1}\n\n{"sentence":"c","class":0}\n' });
  const dj = readLabelledData(path.join(jl, 'j.jsonl'), { valFraction: 0 });
  assert.deepEqual(dj.labels, ['0', '1']);
});

test('table columns: named by flag, or an error naming the columns found', () => {
  const dir = fixture({ 'r.csv': 'words,verdict\nhello,a\nbye,b\n' });
  const file = path.join(dir, 'r.csv');
  throwsData(
    () => readLabelledData(file),
    /no recognisable text column; its columns are "words", "verdict".*--text-column/,
  );
  throwsData(
    () => readLabelledData(file, { textColumn: 'words' }),
    /no recognisable label column.*"verdict"/,
  );
  throwsData(
    () => readLabelledData(file, { textColumn: 'nope' }),
    /no column "nope" \(--text-column\); its columns are "words", "verdict"/,
  );
  const d = readLabelledData(file, { textColumn: 'words', labelColumn: 'verdict', valFraction: 0 });
  assert.equal(d.train.length, 2);
});

test('a malformed CSV row is an error with its line number', () => {
  const dir = fixture({ 'r.csv': 'text,label\nfine,a\nalso fine,b\ntoo,many,fields\nok,a\n' });
  throwsData(() => readLabelledData(path.join(dir, 'r.csv')), /r\.csv line 4: malformed CSV row/);
  const jl = fixture({ 'j.jsonl': '{"text":"a","label":"x"}\n{"text": oops}\n' });
  throwsData(() => readLabelledData(path.join(jl, 'j.jsonl')), /j\.jsonl line 2: not valid JSON/);
});

test('metrics: accuracy, per-class precision/recall, macro-F1 and the confusion matrix', () => {
  // truth a a a b b c; predicted a a b b c c
  const m = classMetrics([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], 3);
  assert.equal(m.accuracy, 4 / 6);
  assert.deepEqual(m.confusion, [
    [2, 1, 0],
    [0, 1, 1],
    [0, 0, 1],
  ]);
  assert.deepEqual(m.precision, [1, 0.5, 0.5]);
  assert.deepEqual(m.recall, [2 / 3, 0.5, 1]);
  const f1 = [0.8, 0.5, 2 / 3];
  assert.ok(Math.abs(m.macro_f1 - (f1[0] + f1[1] + f1[2]) / 3) < 1e-12);
});

test('baselines: the majority class, and naive Bayes learning word features', () => {
  const maj = majorityBaseline([0, 0, 1], [0, 1, 1, 1], 2);
  assert.equal(maj.accuracy, 0.25);
  const texts = ['good great fine', 'great good', 'bad awful', 'awful terrible bad'];
  const nb = naiveBayesBaseline(texts, [0, 0, 1, 1], ['a great day', 'so bad'], [0, 1], 2);
  assert.equal(nb.accuracy, 1);
});

test('batches: right-padded time-major, head or tail kept, buckets of similar length', () => {
  const tok = CharTokenizer.train(['abcdef'], 0);
  assert.deepEqual([...encodeExample(tok, 'abcdef', 3, 'head')], [...tok.encode('abc')]);
  assert.deepEqual([...encodeExample(tok, 'abcdef', 3, 'tail')], [...tok.encode('def')]);
  const b = makeBatch([Int32Array.from([5, 6, 7]), Int32Array.from([8])], [1, 0]);
  assert.deepEqual([...b.ids], [5, 8, 6, 0, 7, 0]);
  assert.deepEqual(b.lengths, [3, 1]);
  const lengths = Array.from({ length: 64 }, (_, i) => (i * 37) % 64);
  let s = 1;
  const batches = bucketedBatches(lengths, 8, () => ((s = (s * 16807) % 2147483647), s / 2147483647));
  assert.equal(batches.flat().length, 64);
  // Sorted within the chunk: each batch spans 8 consecutive lengths of 0..63.
  for (const bt of batches) {
    const ls = bt.map((i) => lengths[i]);
    assert.equal(Math.max(...ls) - Math.min(...ls), 7);
  }
});
