import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { previewPairs, summaryInput, translationLines } from '../../src/engine/tasks/seq2seq/editorText';
import { readPairs } from '../../src/engine/tasks/seq2seq/pairs';
import { tmpDir } from '../helpers/util';

test('a selection is translated line by line; blank lines and indentation stay in place', () => {
  const t = translationLines('The sea is calm.\n\n  The wind is strong.\r\n');
  assert.deepEqual(t.inputs, ['The sea is calm.', 'The wind is strong.']);
  assert.equal(
    t.rebuild(['La mer est calme.', 'Le vent est fort.']),
    'La mer est calme.\n\n  Le vent est fort.\n',
  );
  assert.equal(translationLines('one').rebuild(['un']), 'un');
});

test('a selection to summarise is one input with single spaces', () => {
  assert.equal(
    summaryInput('  The keeper\nlit the lamp.\n\n\tThe sea  was calm. '),
    'The keeper lit the lamp. The sea was calm.',
  );
});

test('the pairs preview: counts per split, how validation was chosen, the first pairs, and what was skipped', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'p.tsv');
  const long = 'x'.repeat(100);
  fs.writeFileSync(
    file,
    ['The sea is calm.\tLa mer est calme.', 'no tab here', `${long}\ty`, 'a\t', 'b\tc', 'd\te'].join('\n') +
      '\n',
  );
  const p = previewPairs(readPairs(file, { valFraction: 0 }), 2);
  assert.equal(p.counts, '4 pairs: 4 train, 0 validation (split by hash of the source line)');
  assert.deepEqual(p.first, ['The sea is calm. → La mer est calme.', `${'x'.repeat(79)}… → y`]);
  assert.equal(p.skipped.length, 2);
  assert.match(p.skipped[0], /1 line\(s\) without a tab in .*p\.tsv \(first: line 2\)/);
  assert.match(p.skipped[1], /1 pair\(s\) with an empty side .*\(first: line 4\)/);
  // A folder of aligned files names the files validation came from.
  const aligned = tmpDir();
  fs.writeFileSync(path.join(aligned, 'train.en'), 'a\nb\nc\n');
  fs.writeFileSync(path.join(aligned, 'train.fr'), 'A\nB\nC\n');
  fs.writeFileSync(path.join(aligned, 'valid.en'), 'd\n');
  fs.writeFileSync(path.join(aligned, 'valid.fr'), 'D\n');
  assert.equal(
    previewPairs(readPairs(aligned)).counts,
    '4 pairs: 3 train, 1 validation (validation from valid.en + valid.fr)',
  );
});
