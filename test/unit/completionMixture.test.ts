import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { evaluateCompletionOn } from '../../src/engine/completion/evaluate';
import { mixDistributions, MixState, mixtureBits, NgramMixModel } from '../../src/engine/completion/mixture';
import { CharNgramModel } from '../../src/engine/completion/ngram';
import { DEFAULT_SUGGESTION_POLICY, MODEL_ALONE_MIN_CONFIDENCE } from '../../src/engine/completion/policy';
import type { ModelConfig } from '../../src/engine/config';
import { SeqLabError } from '../../src/engine/errors';
import { Completer, DEFAULT_COMPLETE_OPTIONS } from '../../src/engine/inference/completer';
import { InferenceModel } from '../../src/engine/inference/stepModel';
import { initWeights } from '../../src/engine/model/model';
import { BpeTokenizer, CharTokenizer } from '../../src/engine/tokenizers';

const TRAIN = 'the cat sat on the mat. the dog sat on the log. a cat and a dog. ';
// The model's vocabulary lacks 'z' and 'q' (capped): they pool into its unknown token.
const TEXT = TRAIN.repeat(3) + 'zq zz quiz';

function setup(weight: number) {
  const tok = CharTokenizer.train([TRAIN]);
  const config: ModelConfig = {
    cell: 'lstm',
    activation: 'tanh',
    vocabSize: tok.vocabSize,
    embedding: 6,
    hidden: 10,
    layers: 2,
    dropout: 0,
  };
  const inner = new InferenceModel(config, initWeights(config, 3));
  const ngram = new CharNgramModel(TEXT, 4);
  return { tok, inner, ngram, mix: new NgramMixModel(inner, tok, ngram, weight) };
}

const softmax = (z: Float32Array): number[] => {
  const max = Math.max(...z);
  const e = [...z].map((v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

test('the mixture: probabilities sum to 1 after any text, the unknown token pools what the model cannot spell', () => {
  const { tok, ngram, mix } = setup(0.4);
  assert.ok(
    ngram.vocab.includes('z') && tok.encode('z')[0] === tok.unkId,
    'the fixture has a pooled character',
  );
  const s = mix.newState();
  for (const id of tok.encode('the cat zq ')) {
    const p = mix.probabilities(s);
    const sum = p.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-9, `sums to ${sum}`);
    assert.ok(p.every((v) => v >= 0));
    mix.step(s, id);
  }
  assert.equal((s as MixState).text, ' cat \uFFFF\uFFFF ', 'the last 2 × order characters');
  // The unknown token carries the n-gram's mass of 'z' and 'q', and every pooled character's.
  const q = ngram.distribution('the cat \uFFFF\uFFFF ');
  const pooled = ngram.vocab.reduce((n, c, i) => (tok.encode(c)[0] === tok.unkId ? n + q[i] : n), 0);
  assert.ok(pooled > 0);
  assert.ok(Math.abs(mix.ngramProbability(s, tok.unkId) - pooled) < 1e-12);
});

test('the mixture: weight 0 is the model, weight 1 is the n-gram, in between their weighted sum', () => {
  const a = setup(0);
  const b = setup(1);
  const c = setup(0.3);
  const prefix = tok3('the dog sa', a.tok);
  const [sa, sb, sc] = [a, b, c].map((x) => {
    const s = x.mix.newState();
    for (const id of prefix) x.mix.step(s, id);
    return s;
  });
  const model = softmax(a.inner.logits(sa));
  const pa = a.mix.probabilities(sa);
  const pb = b.mix.probabilities(sb);
  const pc = c.mix.probabilities(sc);
  const q = a.ngram.distribution('the dog sa');
  for (let id = 0; id < model.length; id++) {
    assert.ok(Math.abs(pa[id] - model[id]) < 1e-6);
    const want = id === a.tok.unkId ? pb[id] : q[a.ngram.vocab.indexOf(a.tok.vocab[id])];
    assert.ok(Math.abs(pb[id] - want) < 1e-12, `n-gram part of ${JSON.stringify(a.tok.vocab[id])}`);
    assert.ok(Math.abs(pc[id] - (0.7 * model[id] + 0.3 * pb[id])) < 1e-6);
  }
  // The n-gram has seen "sat" after "the dog sa": the mixture's greedy next character is 't'.
  const logits = b.mix.logits(sb);
  assert.equal(a.tok.vocab[logits.indexOf(Math.max(...logits))], 't');
});

function tok3(s: string, tok: CharTokenizer): number[] {
  return Array.from(tok.encode(s));
}

test('the mixture: probabilities come in one buffer per model, overwritten by the next call, with the values of a fresh mix', () => {
  const { tok, mix } = setup(0.3);
  const s = mix.newState();
  let last: Float64Array | undefined;
  for (const id of tok.encode('the dog sat')) {
    const p = mix.probabilities(s);
    if (last) assert.equal(p, last, 'the same buffer as the previous call');
    last = p;
    const want = mixDistributions(
      'linear',
      0.3,
      [...mix.modelProbabilities(s)],
      [...mix.ngramProbabilities((s as MixState).text)],
      new Float64Array(p.length),
    );
    assert.deepEqual([...p], [...want]);
    mix.step(s, id);
  }
  // Another model's distribution is its own.
  const other = setup(0.3).mix;
  assert.notEqual(other.probabilities(other.newState()), last);
});

test('the mixture: advance and its kept states carry the same text and states as step by step', () => {
  const { tok, mix } = setup(0.5);
  const ids = tok3('on the mat. a dog', tok);
  const stepped = mix.newState();
  const texts: string[] = [];
  for (const id of ids) {
    mix.step(stepped, id);
    texts.push(stepped.text);
  }
  const advanced = mix.newState();
  const kept = new Map<number, MixState>();
  mix.advance(
    advanced,
    ids,
    (i) => i % 5 === 0,
    (i, st) => kept.set(i, st as MixState),
  );
  assert.equal(advanced.text, stepped.text);
  assert.deepEqual([...advanced.h[1]], [...stepped.h[1]]);
  assert.deepEqual([...kept.keys()], [0, 5, 10, 15]);
  for (const [i, st] of kept) assert.equal(st.text, texts[i]);
  const clone = mix.cloneState(advanced);
  mix.step(clone, ids[0]);
  assert.notEqual(clone.text, advanced.text, 'a clone has its own text');
});

test('the mixture: a completer built on it suggests what the n-gram has memorised', () => {
  const { tok, mix } = setup(0.9);
  const c = new Completer(mix, tok);
  const o = { ...DEFAULT_COMPLETE_OPTIONS, minConfidence: 0.5 };
  const r = c.complete('d', 'the dog sat on the l', 0, o);
  assert.match(r.items[0], /^og\. /);
});

test('the mixture only takes character models and weights from 0 to 1', () => {
  const { inner, ngram, tok } = setup(0);
  const bpe = BpeTokenizer.train(['the cat sat on the mat'], 300);
  assert.throws(
    () => new NgramMixModel(inner, bpe, ngram, 0.5),
    (e: unknown) => e instanceof SeqLabError,
  );
  assert.throws(() => new NgramMixModel(inner, tok, ngram, 1.5), /from 0 to 1/);
});

test('mixtureBits: weight 0 is the model cross-entropy, and the n-gram that saw the text wins at weight 1', () => {
  const { tok, inner, ngram } = setup(0);
  const text = 'the cat sat on the mat. ';
  const [w0, w1] = mixtureBits(inner, tok, ngram, [text], [0, 1]);
  const ids = tok.encode(text);
  const s = inner.newState();
  let bits = 0;
  for (const id of ids) {
    bits -= Math.log2(softmax(inner.logits(s))[id]);
    inner.step(s, id);
  }
  assert.ok(Math.abs(w0.bitsPerChar - bits / ids.length) < 1e-4);
  assert.ok(w1.bitsPerChar < w0.bitsPerChar);
});

test('complete-eval with a mixture measures it as the model and the model alone beside it', () => {
  const { tok, inner } = setup(0);
  const heldOut = [{ path: 'h.txt', text: 'the cat sat on the log. a dog and a cat. ' }];
  const mixed = evaluateCompletionOn(inner, tok, TEXT, heldOut, {
    ngramWeight: 0.8,
    ngramOrder: 4,
    options: { minConfidence: 0.5 },
    sweep: [0.3],
  });
  const alone = evaluateCompletionOn(inner, tok, TEXT, heldOut, {
    ngramOrder: 4,
    options: { minConfidence: 0.5 },
    sweep: [0.3],
  });
  assert.equal(mixed.ngramWeight, 0.8);
  assert.equal(alone.ngramWeight, 0);
  assert.equal(alone.modelAlone, undefined);
  assert.deepEqual(mixed.modelAlone, alone.model, 'the model alone is measured as without a mixture');
  assert.deepEqual(mixed.sweep[0].modelAlone, alone.sweep[0].model);
  assert.ok(mixed.model.keystrokesSaved > alone.model.keystrokesSaved);
});

test("package.json's completion settings default to the engine's suggestion policy", () => {
  const props = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8'))
    .contributes.configuration.properties;
  for (const k of ['minConfidence', 'maxLength', 'multiline', 'multilineMinConfidence'] as const)
    assert.equal(props[`seqlab.completion.${k}`].default, DEFAULT_SUGGESTION_POLICY[k], k);
  const said = props['seqlab.completion.minConfidence'].markdownDescription as string;
  assert.ok(
    said.includes(`${MODEL_ALONE_MIN_CONFIDENCE} applies instead`),
    "the model alone's default is stated",
  );
});
