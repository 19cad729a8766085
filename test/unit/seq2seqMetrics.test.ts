import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { corpusBleu, corpusChrf, rougeL, tokenize13a } from '../../src/engine/metrics';

interface Case {
  name: string;
  hypotheses: string[];
  references: string[];
  bleu: number;
  precisions: number[];
  bp: number;
  sysLen: number;
  refLen: number;
  chrf: number;
}

// Written by scripts/sacrebleu-fixture.py from sacreBLEU itself.
const fixture = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'sacrebleu-cases.json'), 'utf8'),
) as { cases: Case[] };

test('BLEU matches sacreBLEU (13a, exp smoothing) on every reference case', () => {
  assert.ok(fixture.cases.length >= 10);
  for (const c of fixture.cases) {
    const b = corpusBleu(c.hypotheses, c.references);
    assert.ok(Math.abs(b.score - c.bleu) < 1e-9, `${c.name}: BLEU ${b.score} vs sacreBLEU ${c.bleu}`);
    assert.equal(b.sysLen, c.sysLen, `${c.name}: hypothesis length`);
    assert.equal(b.refLen, c.refLen, `${c.name}: reference length`);
    assert.ok(Math.abs(b.bp - c.bp) < 1e-12, `${c.name}: brevity penalty`);
    b.precisions.forEach((p, i) =>
      assert.ok(
        Math.abs(p - c.precisions[i]) < 1e-9,
        `${c.name}: ${i + 1}-gram precision ${p} vs ${c.precisions[i]}`,
      ),
    );
  }
});

test('chrF matches sacreBLEU on every reference case', () => {
  for (const c of fixture.cases) {
    const f = corpusChrf(c.hypotheses, c.references);
    assert.ok(Math.abs(f - c.chrf) < 1e-9, `${c.name}: chrF ${f} vs sacreBLEU ${c.chrf}`);
  }
});

test('13a splits punctuation but keeps numbers whole, and unescapes entities', () => {
  assert.equal(tokenize13a('It costs $3.50, ok.'), 'It costs $ 3.50 , ok .');
  assert.equal(tokenize13a('Tom &amp; Jerry'), 'Tom & Jerry');
});

test('ROUGE-L: identical is 100, disjoint 0, a subsequence scores its F1', () => {
  assert.equal(rougeL(['a b c'], ['a b c']), 100);
  assert.equal(rougeL(['x y'], ['a b']), 0);
  // LCS 2 of hypothesis 2 and reference 4: P 1, R 0.5, F 2/3.
  assert.ok(Math.abs(rougeL(['a c'], ['a b c d']) - 200 / 3) < 1e-9);
});
