import { mock, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
// The module object itself, so that mocks of its functions reach the reader.
import fs from 'fs';
import { readCorpus } from '../../src/engine/corpus';
import { SeqLabError } from '../../src/engine/errors';
import { fixture, tmpDir } from '../helpers/util';

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

/** A training folder `repo` next to a `secret` folder it must not reach. */
function besideSecret(files: Record<string, string>): { repo: string; secret: string } {
  const parent = tmpDir();
  const secret = path.join(parent, 'secret');
  fs.mkdirSync(secret);
  fs.writeFileSync(path.join(secret, 'key.txt'), 'do not train on me\n');
  const repo = path.join(parent, 'repo');
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
    fs.writeFileSync(path.join(repo, rel), content);
  }
  return { repo, secret };
}

const refusedPattern = (pattern: string) => (e: unknown) =>
  e instanceof SeqLabError &&
  e.code === 'E_PATTERN_OUTSIDE' &&
  e.message.includes(`'${pattern}'`) &&
  e.message.includes('seqlab.json') &&
  !!e.hint;

test("an include or exclude pattern that climbs out with '..' is refused, naming the pattern and its source", () => {
  const { repo } = besideSecret({ 'a.txt': 'aye\n', 'sub/b.txt': 'bee\n' });
  for (const pattern of ['../secret/*.txt', 'sub/../../secret/**', '..\\secret\\*.txt']) {
    assert.throws(
      () => readCorpus(repo, { include: [pattern], patternSource: 'seqlab.json' }),
      refusedPattern(pattern),
    );
  }
  assert.throws(
    () => readCorpus(repo, { exclude: ['../**'], patternSource: 'seqlab.json' }),
    refusedPattern('../**'),
  );
  // Dots inside a name are not a '..' segment.
  const c = readCorpus(repo, { include: ['**/*..txt', '**/*.txt'], valFraction: 0 });
  assert.deepEqual(
    c.files.map((f) => f.path),
    ['a.txt', 'sub/b.txt'],
  );
});

test('an absolute include or exclude pattern is refused', () => {
  const { repo, secret } = besideSecret({ 'a.txt': 'aye\n' });
  const abs = path.join(secret, '*.txt').split(path.sep).join('/');
  assert.throws(
    () => readCorpus(repo, { include: [abs], patternSource: 'seqlab.json' }),
    refusedPattern(abs),
  );
  assert.throws(
    () => readCorpus(repo, { exclude: ['/etc/**'], patternSource: 'seqlab.json' }),
    refusedPattern('/etc/**'),
  );
  assert.throws(() => readCorpus(repo, { include: ['C:/Users/*.txt'] }), /E_PATTERN_OUTSIDE|absolute/);
});

test('a file reached through a symbolic link that leaves the folder is skipped with the reason', () => {
  const { repo, secret } = besideSecret({ 'a.txt': 'aye\n', 'inside/b.txt': 'bee\n' });
  fs.symlinkSync(secret, path.join(repo, 'elsewhere'), 'dir');
  fs.symlinkSync(path.join(repo, 'inside'), path.join(repo, 'in'), 'dir');
  const c = readCorpus(repo, { include: ['*.txt', 'elsewhere/key.txt', 'in/b.txt'], valFraction: 0 });
  assert.deepEqual(
    c.files.map((f) => f.path),
    ['a.txt', 'in/b.txt'],
  );
  assert.ok(!c.train.join('').includes('do not train on me'));
  const skipped = c.skipped.find((s) => s.path === 'elsewhere/key.txt');
  assert.ok(skipped, `elsewhere/key.txt is listed as skipped: ${JSON.stringify(c.skipped)}`);
  assert.match(skipped.reason, /outside the training folder/);
});

test('a file that vanishes or fails to read between listing and reading is skipped with its reason', () => {
  const dir = fixture({ 'a.txt': 'aye\n', 'gone.txt': 'soon gone\n', 'flaky.txt': 'bad sector\n' });
  const realOpen = fs.openSync;
  const open = mock.method(fs, 'openSync', (p: fs.PathLike, ...rest: unknown[]) => {
    const name = path.basename(String(p));
    // The file is really deleted after the listing, as another process might.
    if (name === 'gone.txt') fs.rmSync(p);
    if (name === 'flaky.txt') {
      throw Object.assign(new Error(`EIO: i/o error, open '${String(p)}'`), { code: 'EIO' });
    }
    return (realOpen as (...a: unknown[]) => number)(p, ...rest);
  });
  // The old reader stat'ed each file first; a vanished file must not stop the run there either.
  const realStat = fs.statSync;
  const stat = mock.method(fs, 'statSync', (p: fs.PathLike, ...rest: unknown[]) => {
    if (path.basename(String(p)) === 'gone.txt') fs.rmSync(p, { force: true });
    return (realStat as (...a: unknown[]) => unknown)(p, ...rest);
  });
  try {
    const c = readCorpus(dir, { valFraction: 0 });
    assert.deepEqual(
      c.files.map((f) => f.path),
      ['a.txt'],
    );
    const reasons = Object.fromEntries(c.skipped.map((s) => [s.path, s.reason]));
    assert.match(reasons['gone.txt'], /vanished|ENOENT/);
    assert.match(reasons['flaky.txt'], /EIO/);
  } finally {
    open.mock.restore();
    stat.mock.restore();
  }
});

test('a folder whose every file is unreadable still fails with E_NO_TEXT, listing a reason', () => {
  const dir = fixture({ 'only.txt': 'x\n', 'b.txt': 'y\n' });
  const open = mock.method(fs, 'openSync', () => {
    throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
  });
  const read = mock.method(fs, 'readFileSync', () => {
    throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
  });
  try {
    assert.throws(
      () => readCorpus(dir),
      (e: unknown) =>
        e instanceof SeqLabError && e.code === 'E_NO_TEXT' && /permission denied/.test(e.message),
    );
  } finally {
    open.mock.restore();
    read.mock.restore();
  }
});
