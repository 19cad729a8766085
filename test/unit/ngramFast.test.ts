import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { CharNgramModel } from '../../src/engine/completion/ngram';
import { ReferenceCharNgramModel } from '../../src/engine/completion/ngramReference';
import { DEFAULT_SUGGESTION_POLICY } from '../../src/engine/completion/policy';
import { Rng } from '../../src/engine/rng';

/** Random text over a small alphabet (repeats, so that long contexts recur), with astral characters. */
function randomText(rng: Rng, n: number, alphabet: string[]): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rng.next() * alphabet.length)];
  return s;
}

/** Queries: every prefix end of a probe text, plus unseen contexts and characters outside the vocabulary. */
function queries(text: string, rng: Rng): string[] {
  const chars = [...text];
  const out = ['', chars[0] ?? '', 'zzzzzzzzzz', '\u{1F600}', 'abc\u0000', '\uFFFF\uFFFF'];
  for (let i = 0; i < 120 && chars.length; i++) {
    const at = Math.floor(rng.next() * chars.length);
    const len = Math.floor(rng.next() * 12);
    const q = chars.slice(Math.max(0, at - len), at).join('');
    out.push(q, q + '#', '#' + q, 'ab' + q + 'x');
  }
  return out;
}

function assertSame(text: string, order: number, seed: number): void {
  const ref = new ReferenceCharNgramModel(text, order);
  const fast = new CharNgramModel(text, order);
  assert.deepEqual(fast.vocab, ref.vocab, 'same vocabulary, same order');
  const rng = new Rng(seed);
  for (const q of queries(text, rng)) {
    const a = ref.distribution(q);
    const b = fast.distribution(q);
    let sum = 0;
    for (let i = 0; i < a.length; i++) {
      assert.ok(
        Math.abs(a[i] - b[i]) <= 1e-12,
        `order ${order}, after ${JSON.stringify(q)}: ${a[i]} vs ${b[i]}`,
      );
      sum += b[i];
    }
    if (b.length) assert.ok(Math.abs(sum - 1) < 1e-9, `sums to ${sum}`);
    assert.deepEqual(fast.contextStats(q), ref.contextStats(q), `context stats after ${JSON.stringify(q)}`);
    const evidence = { order: -1, total: -1, distinct: -1 };
    fast.distribution(q, undefined, evidence);
    assert.deepEqual(evidence, ref.contextStats(q), `the distribution's evidence after ${JSON.stringify(q)}`);
  }
  for (const c of [...ref.vocab.slice(0, 1), ...ref.vocab.slice(-1), 'z', '\u{1F600}', 'ab']) {
    const q = text.slice(0, 9);
    assert.ok(Math.abs(fast.probability(q, c) - ref.probability(q, c)) <= 1e-12);
  }
  if (!text) return; // no vocabulary: nothing to continue with
  const before = text.slice(0, 20);
  const fp = fast.greedyPieces(before, 24);
  const rp = ref.greedyPieces(before, 24);
  assert.equal(fp.map((p) => p.piece).join(''), rp.map((p) => p.piece).join(''), 'the same greedy text');
  fp.forEach((p, i) => assert.ok(Math.abs(p.prob - rp[i].prob) <= 1e-12));
}

test('the fast n-gram gives the reference probabilities (1e-12) on random text, orders 1–8, astral characters included', () => {
  const rng = new Rng(11);
  const alphabet = ['a', 'b', 'c', ' ', '\n', 'é', '\u{1F600}', '\u{20000}', '\uE000', '\uFFFD'];
  for (let order = 1; order <= 8; order++)
    for (const n of [0, 1, order - 1, order, 300, 3000])
      assertSame(randomText(rng, Math.max(0, n), alphabet.slice(0, 3 + (order % 8))), order, order * 7 + n);
});

test('the fast n-gram gives the reference probabilities on real text (the repository README), orders 1–8', () => {
  const text = fs.readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8').slice(0, 40000);
  for (let order = 1; order <= 8; order++) assertSame(text, order, order);
});

test('the fast n-gram: contextStats names the longest context seen and its counts', () => {
  const g = new CharNgramModel('abcabcabd', 3);
  // "ab" was followed by c, c, d: three times, two distinct characters (raw counts at order 3).
  assert.deepEqual(g.contextStats('xab'), { order: 3, total: 3, distinct: 2 });
  // "zb" unseen, "b" seen (continuation counts at order 2: "bc" after a, "bd" after a).
  assert.deepEqual(g.contextStats('zb'), { order: 2, total: 2, distinct: 2 });
  assert.deepEqual(g.contextStats('z'), { order: 1, total: 4, distinct: 4 });
  assert.deepEqual(new CharNgramModel('ab', 3).contextStats('ab'), { order: 0, total: 0, distinct: 0 });
});

test('the fast n-gram survives a round trip through its tables (what the completion worker transfers)', () => {
  const text = 'the cat sat on the mat; the dog sat on the log. \u{1F600} ';
  const a = new CharNgramModel(text.repeat(4), 5);
  const { tables, buffers } = a.toTables();
  assert.ok(buffers.length > 0 && a.bytes() > 0);
  const b = new CharNgramModel(structuredClone(tables));
  assert.equal(b.order, 5);
  assert.deepEqual([...b.distribution('the ')], [...a.distribution('the ')]);
  assert.equal(b.suggest('the d', DEFAULT_SUGGESTION_POLICY), a.suggest('the d', DEFAULT_SUGGESTION_POLICY));
});
