import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { BpeTokenizer, CharTokenizer, tokenizerFromJSON, WordTokenizer } from '../../src/engine/tokenizers';

const MIXED = 'Hello, wörld! 你好，世界。こんにちは 😀👍🏽 e\u0301 café\n\tcode(x) => x * 2;';

test('char tokenizer: code points (emoji is one token), round trip, JSON', () => {
  const t = CharTokenizer.train([MIXED]);
  const ids = t.encode(MIXED);
  assert.equal(t.decode(ids), MIXED);
  assert.equal(ids.length, [...MIXED].length, 'one id per code point, not per UTF-16 unit');
  assert.equal(t.encode('😀').length, 1);
  const back = tokenizerFromJSON(JSON.parse(JSON.stringify(t.toJSON())));
  assert.deepEqual(Array.from(back.encode(MIXED)), Array.from(ids));
});

test('char tokenizer: unseen code points become <unk> and are counted', () => {
  const t = CharTokenizer.train(['abc']);
  const r = t.encodeCounting('abz😀');
  assert.equal(r.unknown, 2);
  assert.equal(r.ids[2], t.unkId);
  assert.equal(r.ids[3], t.unkId);
});

test('word tokenizer: whitespace and punctuation are tokens; decode(encode(x)) === x', () => {
  const t = WordTokenizer.train([MIXED, 'hello  world\n\n  foo.bar()']);
  for (const s of [MIXED, 'hello  world\n\n  foo.bar()']) assert.equal(t.decode(t.encode(s)), s);
  assert.ok(t.encode('你好').length === 2, 'CJK characters are separate pieces');
  const back = tokenizerFromJSON(JSON.parse(JSON.stringify(t.toJSON())));
  assert.equal(back.decode(back.encode(MIXED)), MIXED);
});

test('word tokenizer: top-K keeps the most frequent pieces, the rest is <unk>', () => {
  const t = WordTokenizer.train(['a a a a b b b c c d'], 4); // <unk>, a, ' ', b
  assert.equal(t.vocabSize, 4);
  const r = t.encodeCounting('a b c');
  assert.equal(r.unknown, 1);
  assert.equal(t.decode(t.encode('a b')), 'a b');
});

test('bpe tokenizer: learns merges, round-trips any text, including unseen scripts', () => {
  const corpus = 'the cat sat on the mat. the cat ate the rat. '.repeat(50);
  const t = BpeTokenizer.train([corpus], 300);
  assert.ok(t.vocabSize > 256 && t.vocabSize <= 300);
  const enc = t.encode(corpus);
  assert.ok(enc.length < new TextEncoder().encode(corpus).length / 2, 'merges compress the training text');
  for (const s of [corpus, MIXED, 'Ωμέγα ∑ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢']) assert.equal(t.decode(t.encode(s)), s);
  const back = tokenizerFromJSON(JSON.parse(JSON.stringify(t.toJSON())));
  assert.deepEqual(Array.from(back.encode(MIXED)), Array.from(t.encode(MIXED)));
  assert.equal(t.encodeCounting(MIXED).unknown, 0);
});

test('bpe tokenizer: training is deterministic', () => {
  const text = 'abracadabra alakazam abracadabra '.repeat(20);
  assert.deepEqual(BpeTokenizer.train([text], 280).merges, BpeTokenizer.train([text], 280).merges);
});
