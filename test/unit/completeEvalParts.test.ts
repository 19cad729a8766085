import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { evaluateCompletionOn, heldOutPart } from '../../src/engine/completion/evaluate';
import type { ModelConfig } from '../../src/engine/config';
import { InferenceModel } from '../../src/engine/inference/stepModel';
import { initWeights } from '../../src/engine/model/model';
import { CharTokenizer } from '../../src/engine/tokenizers';

const files = ['a', 'b', 'c', 'd', 'e'].map((name, i) => ({
  path: `${name}.txt`,
  text: `${name} `.repeat(50 + i),
}));

test('held-out parts: validation is the first half of the files, test the rest, with nothing shared', () => {
  const v = heldOutPart(files, 'validation');
  const t = heldOutPart(files, 'test');
  assert.deepEqual(
    v.map((f) => f.path),
    ['a.txt', 'b.txt', 'c.txt'],
  );
  assert.deepEqual(
    t.map((f) => f.path),
    ['d.txt', 'e.txt'],
  );
  assert.equal(heldOutPart(files, 'all'), files);
  // One held-out text (a one-file corpus's tail): cut at the line end after its middle.
  const one = [{ path: 'x.txt', text: 'one\ntwo\nthree\nfour\n' }];
  assert.equal(heldOutPart(one, 'validation')[0].text, 'one\ntwo\nthree\n');
  assert.equal(heldOutPart(one, 'test')[0].text, 'four\n');
});

test('complete-eval types only its part, at most the characters per file it is given', () => {
  const text = files.map((f) => f.text).join('');
  const tok = CharTokenizer.train([text]);
  const config: ModelConfig = {
    cell: 'gru',
    activation: 'tanh',
    vocabSize: tok.vocabSize,
    embedding: 4,
    hidden: 8,
    layers: 1,
    dropout: 0,
  };
  const model = new InferenceModel(config, initWeights(config, 1));
  const opts = { ngramOrder: 3, maxChars: 1000, maxCharsPerFile: 40, options: { maxLength: 8 } };
  const test = evaluateCompletionOn(model, tok, text, files, { ...opts, part: 'test' });
  assert.equal(test.part, 'test');
  assert.equal(test.heldOutFiles, 2);
  assert.equal(test.chars, 80);
  const all = evaluateCompletionOn(model, tok, text, files, { ...opts, maxChars: 100 });
  assert.equal(all.heldOutFiles, 3, '40 + 40 + the 20 left');
  assert.equal(all.chars, 100);
  assert.equal(all.model.chars, 100);
});
