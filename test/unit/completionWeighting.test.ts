import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { evaluateCompletionOn } from '../../src/engine/completion/evaluate';
import {
  completionMixture,
  completionWeighting,
  fixedWeighting,
  MixState,
  mixtureBits,
  NgramMixModel,
} from '../../src/engine/completion/mixture';
import { CharNgramModel } from '../../src/engine/completion/ngram';
import { DEFAULT_SUGGESTION_POLICY } from '../../src/engine/completion/policy';
import type { ModelConfig } from '../../src/engine/config';
import type { InferState, StepModel } from '../../src/engine/inference/stepModel';
import { InferenceModel } from '../../src/engine/inference/stepModel';
import { initWeights } from '../../src/engine/model/model';
import { CharTokenizer } from '../../src/engine/tokenizers';

const TRAIN = 'the cat sat on the mat. the dog sat on the log. a cat and a dog. ';
const TEXT = TRAIN.repeat(20);

function lstm(tok: CharTokenizer): InferenceModel {
  const config: ModelConfig = {
    cell: 'lstm',
    activation: 'tanh',
    vocabSize: tok.vocabSize,
    embedding: 6,
    hidden: 10,
    layers: 2,
    dropout: 0,
  };
  return new InferenceModel(config, initWeights(config, 5));
}

/** A model that always gives the same distribution: `sure` on one character, the rest spread evenly. */
function fixedModel(tok: CharTokenizer, char: string, sure: number): StepModel {
  const V = tok.vocabSize;
  const id = tok.vocab.indexOf(char);
  const z = new Float32Array(V).fill(Math.log((1 - sure) / (V - 1)));
  z[id] = Math.log(sure);
  return {
    config: lstm(tok).config,
    newState: () => ({ h: [], c: [] }) as unknown as InferState,
    cloneState: (s: InferState) => ({ ...s }),
    step: () => undefined,
    logits: (_s: InferState, out = new Float32Array(V)) => (out.set(z), out),
  };
}

const sum = (p: ArrayLike<number>): number => Array.from(p).reduce((a, b) => a + b, 0);

test('contextStats: the longest context seen, its count and its distinct next characters', () => {
  const ng = new CharNgramModel('abcabd', 3);
  // Order 3 (two characters of context): "ab" was followed by c and by d.
  assert.deepEqual(ng.contextStats('xab'), { order: 3, total: 2, distinct: 2 });
  assert.deepEqual(ng.contextStats('ca'), { order: 3, total: 1, distinct: 1 });
  // "zb" was never seen: order 2, "b", whose continuation counts are c and d once each.
  assert.deepEqual(ng.contextStats('zb'), { order: 2, total: 2, distinct: 2 });
  // Only the shorter context exists at the start of a text.
  assert.deepEqual(ng.contextStats('a'), { order: 2, total: 1, distinct: 1 });
  // Nothing matches: order 1, the empty context, every character seen after some 1-character context.
  assert.deepEqual(ng.contextStats('zz'), { order: 1, total: 4, distinct: 4 });
  assert.deepEqual(ng.contextStats(''), { order: 1, total: 4, distinct: 4 });
  assert.deepEqual(new CharNgramModel('', 3).contextStats('ab'), { order: 0, total: 0, distinct: 0 });
  // Counts grow with the text: the verbatim context "th" of an often repeated sentence.
  const often = new CharNgramModel(TEXT, 3).contextStats('the cat sat on th');
  assert.equal(often.order, 3);
  assert.equal(often.total, 4 * 20, 'four "th" in each sentence');
  assert.equal(often.distinct, 1);
});

test('the shipped weighting: weights within [0, 1] for any evidence', () => {
  const w = completionWeighting();
  assert.equal(w.kind, 'geometric');
  for (let order = 0; order <= 12; order++)
    for (const total of [0, 1, 5, 15, 16, 100, 1e6])
      for (const distinct of [0, 1, 3, 50]) {
        const x = w.weight({ order, total, distinct });
        assert.ok(x >= 0 && x <= 1, `order ${order} total ${total}: ${x}`);
      }
});

test('the shipped mixture: every next-character distribution sums to 1 and is never 0', () => {
  const tok = CharTokenizer.train([TRAIN]);
  const ngram = new CharNgramModel(TEXT + 'zq', 6);
  const mix = completionMixture(lstm(tok), tok, ngram);
  assert.equal(mix.weighting.name, 'shipped');
  const s = mix.newState();
  for (const id of tok.encode('the dog sat on the zq mat. qq a cat')) {
    const p = mix.probabilities(s);
    assert.ok(Math.abs(sum(p) - 1) < 1e-9, `sums to ${sum(p)}`);
    assert.ok(p.every((v) => v > 0 && v <= 1));
    mix.step(s, id);
  }
});

test('the shipped mixture: no character gets less than the weighted product of the two, so agreement stays sure', () => {
  const tok = CharTokenizer.train([TRAIN]);
  const ngram = new CharNgramModel(TEXT, 6);
  // The model agrees with the n-gram on what follows "the cat sat on th" (e), 0.9 sure.
  const model = fixedModel(tok, 'e', 0.9);
  const geo = new NgramMixModel(model, tok, ngram, completionWeighting());
  const lin = new NgramMixModel(model, tok, ngram, 0.5);
  const s = geo.newState();
  for (const id of tok.encode('the cat sat on th')) geo.step(s, id);
  const e = tok.vocab.indexOf('e');
  const w = completionWeighting().weight(ngram.contextStats((s as MixState).text));
  const pm = [...geo.modelProbabilities(s)];
  const q = [...geo.ngramProbabilities((s as MixState).text)];
  const p = geo.probabilities(s);
  for (let i = 0; i < p.length; i++)
    assert.ok(p[i] >= pm[i] ** (1 - w) * q[i] ** w - 1e-12, `character ${JSON.stringify(tok.vocab[i])}`);
  // The n-gram has seen this context 80 times, always followed by e: its suggestion passes the
  // default threshold, and so does the mixture's (surer than the model), where the linear
  // mixture, the average of the two, falls short of it.
  const threshold = DEFAULT_SUGGESTION_POLICY.minConfidence;
  assert.ok(q[e] >= threshold, `n-gram ${q[e]}`);
  assert.ok(p[e] >= threshold && p[e] > 0.9, `mixture ${p[e]}`);
  const pl = lin.probabilities(s)[e];
  assert.ok(Math.abs(pl - (0.5 * 0.9 + 0.5 * q[e])) < 1e-6);
  assert.ok(pl < threshold, `linear ${pl}`);
});

test('fixed weightings: geometric 0 is the model, 1 the n-gram; linear is the numeric weight', () => {
  const tok = CharTokenizer.train([TRAIN]);
  const inner = lstm(tok);
  const ngram = new CharNgramModel(TEXT, 4);
  const mixes = [
    new NgramMixModel(inner, tok, ngram, fixedWeighting(0, 'geometric')),
    new NgramMixModel(inner, tok, ngram, fixedWeighting(1, 'geometric')),
    new NgramMixModel(inner, tok, ngram, fixedWeighting(0.3)),
    new NgramMixModel(inner, tok, ngram, 0.3),
  ];
  assert.equal(mixes[3].weight, 0.3);
  assert.equal(mixes[0].weight, undefined);
  const s = mixes[0].newState();
  for (const id of tok.encode('the dog sa')) mixes[0].step(s, id);
  const pm = [...mixes[0].modelProbabilities(s)];
  const q = [...mixes[0].ngramProbabilities((s as MixState).text)];
  const [g0, g1, l1, l2] = mixes.map((m) => m.probabilities(s));
  for (let i = 0; i < pm.length; i++) {
    assert.ok(Math.abs(g0[i] - pm[i]) < 1e-9);
    assert.ok(Math.abs(g1[i] - q[i]) < 1e-9);
    assert.ok(Math.abs(l1[i] - l2[i]) < 1e-12);
  }
  assert.throws(() => fixedWeighting(-0.1), /from 0 to 1/);
});

test('mixtureBits measures the shipped weighting as completion uses it', () => {
  const tok = CharTokenizer.train([TRAIN]);
  const inner = lstm(tok);
  const ngram = new CharNgramModel(TEXT, 6);
  const text = 'the dog sat on the cat. a mat. ';
  const [lin, shipped] = mixtureBits(inner, tok, ngram, [text], [0.5, completionWeighting()]);
  assert.equal(lin.weight, 0.5);
  assert.equal(shipped.weight, 'shipped');
  const mix = completionMixture(inner, tok, ngram);
  const s = mix.newState();
  let bits = 0;
  const ids = tok.encode(text);
  for (const id of ids) {
    bits -= Math.log2(mix.probabilities(s)[id]);
    mix.step(s, id);
  }
  assert.ok(Math.abs(shipped.bitsPerChar - bits / ids.length) < 1e-9);
  assert.notEqual(shipped.bitsPerChar, lin.bitsPerChar);
});

test('complete-eval with the shipped mixture: named, with the model alone and its bits beside it', () => {
  const tok = CharTokenizer.train([TRAIN]);
  const inner = lstm(tok);
  const heldOut = [{ path: 'h.txt', text: 'the cat sat on the log. a dog and a cat. ' }];
  const opts = { ngramOrder: 4, options: { minConfidence: 0.5 } };
  const mixed = evaluateCompletionOn(inner, tok, TEXT, heldOut, {
    ...opts,
    mixture: completionWeighting(),
    bitsWeights: [0, 1],
  });
  const alone = evaluateCompletionOn(inner, tok, TEXT, heldOut, opts);
  assert.equal(mixed.mixture, 'shipped');
  assert.deepEqual(mixed.modelAlone, alone.model);
  assert.deepEqual(
    mixed.bits?.map((b) => b.weight),
    [0, 1, 'shipped'],
  );
  // The n-gram has seen the held-out sentences many times: mixed with it, completion saves more.
  assert.ok(mixed.model.keystrokesSaved > alone.model.keystrokesSaved);
});
