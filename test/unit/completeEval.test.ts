import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { fixture, sampleText, tmpDir } from '../helpers/util';

const CLI = path.resolve(__dirname, '../../../bin/seqlab.js');

function seqlab(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('seqlab complete-eval: model and n-gram figures as JSON, a sweep, and flag errors', () => {
  const dir = fixture({
    'a.txt': sampleText(6000),
    'b.txt': sampleText(3000, 9),
    'c.txt': sampleText(900, 4),
  });
  const t = seqlab(
    'train',
    dir,
    '--preset',
    'tiny',
    '--steps',
    '30',
    '--eval-every',
    '30',
    '--out',
    tmpDir(),
  );
  assert.equal(t.code, 0, t.err);
  const ck = /checkpoint: (.*)/.exec(t.out)![1].trim();
  const r = seqlab('complete-eval', ck, dir, '--json', '--chars', '300', '--sweep', '0,0.5');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.chars, 300);
  for (const k of ['keystrokes_saved', 'ngram_keystrokes_saved']) {
    assert.equal(typeof j[k], 'number', k);
    assert.ok(j[k] >= 0 && j[k] < 1, `${k} ${j[k]}`);
  }
  assert.deepEqual(
    j.sweep.map((s: { minConfidence: number }) => s.minConfidence),
    [0, 0.5, j.options.minConfidence],
  );
  // Showing everything shows at least as much as a gated threshold.
  assert.ok(j.sweep[0].model.shownChars >= j.sweep[1].model.shownChars);
  const table = seqlab('complete-eval', ck, dir, '--chars', '200');
  assert.equal(table.code, 0, table.err);
  assert.match(table.out, /model .*\n.*8-gram baseline/);
  // Validation and test parts: different held-out text (here: the single held-out file's halves).
  const [v, t2, all] = ['validation', 'test', 'all'].map((part) => {
    const p = seqlab('complete-eval', ck, dir, '--json', '--part', part, '--order', '5');
    assert.equal(p.code, 0, p.err);
    return JSON.parse(p.out);
  });
  assert.equal(v.part, 'validation');
  assert.equal(v.ngramOrder, 5);
  assert.ok(v.chars > 0 && t2.chars > 0);
  assert.equal(v.chars + t2.chars, all.chars, 'the two parts make up the held-out text');
  const badPart = seqlab('complete-eval', ck, dir, '--part', 'train');
  assert.notEqual(badPart.code, 0);
  assert.match(badPart.err, /--part must be one of all, validation, test/);
  // The model mixed with the n-gram, the model alone beside it, and bits per character.
  const mixed = seqlab(
    'complete-eval',
    ck,
    dir,
    '--json',
    '--chars',
    '200',
    '--ngram-weight',
    '0.5',
    '--bits',
    '0,1',
  );
  assert.equal(mixed.code, 0, mixed.err);
  const m = JSON.parse(mixed.out);
  assert.equal(m.ngramWeight, 0.5);
  assert.equal(m.modelAlone.chars, 200);
  assert.deepEqual(
    m.bits.map((b: { weight: number }) => b.weight),
    [0, 1],
  );
  assert.ok(m.bits.every((b: { bitsPerChar: number }) => b.bitsPerChar > 0));
  const mixedTable = seqlab(
    'complete-eval',
    ck,
    dir,
    '--chars',
    '200',
    '--ngram-weight',
    '0.5',
    '--bits',
    '0.5',
  );
  assert.match(mixedTable.out, /model \+ 8-gram \(0\.5\).*\n.*model alone/);
  assert.match(mixedTable.out, /bits per character/);
  // The extension's mixture: measured by name, with its bits beside the fixed weights asked for.
  const shipped = seqlab(
    'complete-eval',
    ck,
    dir,
    '--json',
    '--chars',
    '200',
    '--mixture',
    'shipped',
    '--bits',
    '0',
  );
  assert.equal(shipped.code, 0, shipped.err);
  const sh = JSON.parse(shipped.out);
  assert.equal(sh.mixture, 'shipped');
  assert.equal(sh.modelAlone.chars, 200);
  assert.deepEqual(
    sh.bits.map((b: { weight: number | string }) => b.weight),
    [0, 'shipped'],
  );
  const badMixture = seqlab('complete-eval', ck, dir, '--mixture', 'best');
  assert.notEqual(badMixture.code, 0);
  assert.match(badMixture.err, /--mixture must be "shipped"/);
  const badWeight = seqlab('complete-eval', ck, dir, '--ngram-weight', '1.5');
  assert.notEqual(badWeight.code, 0);
  assert.match(badWeight.err, /--ngram-weight must be a number from 0 to 1/);
  const bad = seqlab('complete-eval', ck, dir, '--min-confidence', '2');
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /--min-confidence must be a number from 0 to 1/);
});
