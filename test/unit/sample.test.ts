import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { freeName, listFiles, unpackSample } from '../../src/sample/unpack';
import { fixture, tmpDir } from '../helpers/util';

// Compiled to out/test/unit/: the shipped sample is three folders up.
const SAMPLE = path.join(__dirname, '../../../media/sample');

const source = () =>
  fixture({ 'a.txt': 'sample a\n', 'sub/b.txt': 'sample b\n', 'sub/deeper/c.md': '# c\n' });

test('unpacks every file into an empty folder, keeping the layout', async () => {
  const src = source();
  const dest = tmpDir();
  let asked = false;
  const r = await unpackSample(src, dest, async () => {
    asked = true;
    return 'skip';
  });
  assert.equal(asked, false, 'nothing to decide in an empty folder');
  assert.deepEqual(r.written, ['a.txt', 'sub/b.txt', 'sub/deeper/c.md']);
  assert.deepEqual(listFiles(dest), listFiles(src));
  for (const f of listFiles(src))
    assert.equal(fs.readFileSync(path.join(dest, f), 'utf8'), fs.readFileSync(path.join(src, f), 'utf8'));
});

test('a taken name is reported and never overwritten: "skip" leaves it out', async () => {
  const src = source();
  const dest = fixture({ 'sub/b.txt': 'mine, keep me\n' });
  let seen: string[] = [];
  const r = await unpackSample(src, dest, async (c) => {
    seen = c;
    return 'skip';
  });
  assert.deepEqual(seen, ['sub/b.txt']);
  assert.deepEqual(r.conflicts, ['sub/b.txt']);
  assert.deepEqual(r.skipped, ['sub/b.txt']);
  assert.deepEqual(r.written, ['a.txt', 'sub/deeper/c.md']);
  assert.equal(fs.readFileSync(path.join(dest, 'sub/b.txt'), 'utf8'), 'mine, keep me\n');
});

test('"rename" keeps both: the sample copy goes to the first free name', async () => {
  const src = source();
  const dest = fixture({ 'a.txt': 'mine\n', 'a (2).txt': 'also mine\n' });
  const r = await unpackSample(src, dest, async () => 'rename');
  assert.deepEqual(r.renamed, [{ from: 'a.txt', to: 'a (3).txt' }]);
  assert.equal(fs.readFileSync(path.join(dest, 'a.txt'), 'utf8'), 'mine\n');
  assert.equal(fs.readFileSync(path.join(dest, 'a (2).txt'), 'utf8'), 'also mine\n');
  assert.equal(fs.readFileSync(path.join(dest, 'a (3).txt'), 'utf8'), 'sample a\n');
  assert.equal(freeName(dest, 'a.txt'), 'a (4).txt');
  assert.equal(freeName(dest, 'sub/noext'), 'sub/noext (2)');
});

test('cancelling the question writes nothing at all', async () => {
  const src = source();
  const dest = fixture({ 'sub/deeper/c.md': 'mine\n' });
  const r = await unpackSample(src, dest, async () => undefined);
  assert.equal(r.cancelled, true);
  assert.deepEqual(r.written, []);
  assert.deepEqual(listFiles(dest), ['sub/deeper/c.md']);
  assert.equal(fs.readFileSync(path.join(dest, 'sub/deeper/c.md'), 'utf8'), 'mine\n');
});

test('the shipped sample is small, licensed, and its labelled and parallel sets are well formed', () => {
  const files = listFiles(SAMPLE);
  const bytes = files.reduce((n, f) => n + fs.statSync(path.join(SAMPLE, f)).size, 0);
  assert.ok(bytes < 100_000, `${bytes} bytes`);
  assert.ok(files.includes('SAMPLE-LICENSE.md'));
  assert.ok(files.filter((f) => f.startsWith('text/')).length >= 2, 'two files: one can be held out');
  const rows = fs.readFileSync(path.join(SAMPLE, 'labelled/reviews.csv'), 'utf8').trim().split('\n');
  assert.equal(rows[0], 'label,text');
  const byLabel: Record<string, string[]> = {};
  for (const row of rows.slice(1)) {
    const m = /^(pos|neg),([^",]+)$/.exec(row);
    assert.ok(m, `one label and one unquoted sentence: ${row}`);
    (byLabel[m[1]] ??= []).push(m[2]);
  }
  for (const [label, sentences] of Object.entries(byLabel)) {
    const inFolder = files
      .filter((f) => f.startsWith(`labelled/${label}/`))
      .map((f) => fs.readFileSync(path.join(SAMPLE, f), 'utf8').trim());
    assert.deepEqual(inFolder.sort(), [...sentences].sort(), `labelled/${label}/ matches the CSV`);
  }
  const pairs = fs.readFileSync(path.join(SAMPLE, 'parallel/en-fr.tsv'), 'utf8').trim().split('\n');
  assert.ok(pairs.length >= 30);
  for (const p of pairs) assert.equal(p.split('\t').filter((s) => s.trim()).length, 2, p);
});
