import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readCorpus } from '../../src/engine/corpus';
import { SeqLabError } from '../../src/engine/errors';
import { fixture } from '../helpers/util';

test('reads text files recursively in a stable order, honouring .gitignore and the default excludes', () => {
  const dir = fixture({
    'b.md': 'bee\n',
    'a.txt': 'aye\n',
    'sub/c.py': 'print(1)\n',
    'node_modules/x.js': 'nope',
    '.git/config': 'nope',
    'dist/out.js': 'nope',
    '.seqlab/runs/r/metrics.jsonl': 'nope',
    '.gitignore': 'ignored.txt\nlogs/\n',
    'ignored.txt': 'nope',
    'logs/l.txt': 'nope',
    'sub/.gitignore': 'local.md\n',
    'sub/local.md': 'nope',
    'image.png': 'not included by the default globs',
  });
  const c = readCorpus(dir, { valFraction: 0 });
  assert.deepEqual(
    c.files.map((f) => f.path),
    ['a.txt', 'b.md', 'sub/c.py'],
  );
  assert.equal(c.train.join(''), 'aye\nbee\nprint(1)\n');
  assert.equal(c.trainChars, 17);
});

test('skips binary, invalid UTF-8 and oversized files, each with its reason', () => {
  const dir = fixture({
    'ok.txt': 'hello world\n',
    'bin.txt': Buffer.from([104, 105, 0, 1, 2]),
    'latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9]),
    'big.txt': 'x'.repeat(5000),
  });
  const c = readCorpus(dir, { valFraction: 0, maxFileBytes: 1000 });
  assert.deepEqual(
    c.files.map((f) => f.path),
    ['ok.txt'],
  );
  const reasons = Object.fromEntries(c.skipped.map((s) => [s.path, s.reason]));
  assert.match(reasons['bin.txt'], /binary/);
  assert.match(reasons['latin1.txt'], /UTF-8/);
  assert.match(reasons['big.txt'], /larger than/);
});

test('include and exclude globs select files', () => {
  const dir = fixture({ 'a.ts': 'let a = 1;\n', 'b.md': '# b\n', 'gen/c.ts': 'let c;\n' });
  const c = readCorpus(dir, { include: ['**/*.ts'], exclude: ['gen/**'], valFraction: 0 });
  assert.deepEqual(
    c.files.map((f) => f.path),
    ['a.ts'],
  );
});

test('splits validation by file, deterministically, keeping at least one file on each side', () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 20; i++) files[`f${i}.txt`] = `file ${i}\n`;
  const dir = fixture(files);
  const a = readCorpus(dir, { valFraction: 0.1 });
  const b = readCorpus(dir, { valFraction: 0.1 });
  assert.equal(a.files.filter((f) => f.split === 'val').length, 2);
  assert.deepEqual(a.files, b.files);
  assert.equal(a.val.length, 2);
  assert.equal(a.train.length, 18);
});

test('a single file is split by a tail fraction', () => {
  const dir = fixture({ 'only.txt': 'abcdefghij'.repeat(10) });
  const c = readCorpus(dir, { valFraction: 0.1 });
  assert.equal(c.train[0].length, 90);
  assert.equal(c.val[0], 'abcdefghij');
});

test('an empty or binary-only folder fails with an error naming the folder and the globs', () => {
  const cases: Record<string, Buffer>[] = [{}, { 'x.txt': Buffer.from([0, 0, 0]) }];
  for (const files of cases) {
    const dir = fixture(files);
    assert.throws(
      () => readCorpus(dir),
      (e: unknown) =>
        e instanceof SeqLabError &&
        e.code === 'E_NO_TEXT' &&
        e.message.includes(dir) &&
        e.message.includes('include:'),
    );
  }
});

test('a missing folder fails with E_NO_FOLDER', () => {
  assert.throws(
    () => readCorpus('/definitely/not/here'),
    (e: unknown) => e instanceof SeqLabError && e.code === 'E_NO_FOLDER',
  );
});
