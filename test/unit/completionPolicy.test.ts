import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/wasm/backend';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import { acceptance, figures, simulateTyping } from '../../src/engine/completion/keystrokeEval';
import { CharNgramModel } from '../../src/engine/completion/ngram';
import {
  buildSuggestion,
  DEFAULT_SUGGESTION_POLICY,
  SuggestionPolicy,
} from '../../src/engine/completion/policy';
import { primeText } from '../../src/engine/completion/prime';
import { DEFAULT_TRAIN_CONFIG, ModelConfig, mergeConfig } from '../../src/engine/config';
import { InferState, StepModel } from '../../src/engine/inference/stepModel';
import { Completer, DEFAULT_COMPLETE_OPTIONS } from '../../src/engine/inference/completer';
import { FastInferenceModel } from '../../src/engine/inference/fastModel';
import { initWeights } from '../../src/engine/model/model';
import { CharTokenizer, tokenizerFromJSON } from '../../src/engine/tokenizers';
import { train } from '../../src/engine/trainer';
import { fixture, sampleText, tmpDir } from '../helpers/util';

before(async () => {
  await initBackend('wasm');
});

const pieces = (s: string, probs: number[] | number) =>
  [...s].map((piece, i) => ({ piece, prob: typeof probs === 'number' ? probs : probs[i] }));
const policy = (o: Partial<SuggestionPolicy> = {}): SuggestionPolicy => ({
  ...DEFAULT_SUGGESTION_POLICY,
  minConfidence: 0.5,
  ...o,
});

/**
 * A model whose next-token distribution is set by hand: after n generated tokens it puts
 * probability `probs[n]` on token `ids[n]` and spreads the rest evenly. Its state counts steps.
 */
function scriptedModel(vocabSize: number, ids: number[], probs: number[]): StepModel {
  const config: ModelConfig = {
    cell: 'rnn',
    activation: 'tanh',
    vocabSize,
    embedding: 1,
    hidden: 1,
    layers: 1,
    dropout: 0,
  };
  const state = (): InferState => ({ h: [new Float32Array(1)], c: [new Float32Array(1)] });
  let generated = 0;
  let contextSteps = 0;
  return {
    config,
    newState: state,
    cloneState: (s) => ({ h: [s.h[0].slice()], c: [s.c[0].slice()] }),
    step(s) {
      s.h[0][0]++;
    },
    logits(s, out = new Float32Array(vocabSize)) {
      // Steps past the context are generated tokens; the context is the first sync's length.
      contextSteps ||= s.h[0][0];
      generated = s.h[0][0] - contextSteps;
      const n = Math.min(generated, ids.length - 1);
      const rest = (1 - probs[n]) / (vocabSize - 1);
      for (let i = 0; i < vocabSize; i++) out[i] = Math.log(i === ids[n] ? probs[n] : rest);
      return out;
    },
  };
}

test('gating: a suggestion ends at the first token below the confidence threshold', () => {
  const tok = CharTokenizer.train(['ab cd efgh.']);
  const text = 'ab cd ef';
  const ids = Array.from(tok.encode(text));
  const o = { ...DEFAULT_COMPLETE_OPTIONS, minConfidence: 0.5, maxLength: 20 };
  // The fourth generated token ('c', after "ab ") is the first one the model is unsure of.
  const probs = [0.9, 0.8, 0.95, 0.3, 0.9, 0.9, 0.9, 0.9];
  const c = new Completer(scriptedModel(tok.vocabSize, ids, probs), tok);
  assert.deepEqual(c.complete('d', 'x', 0, o).items, ['ab ']);
  // The same model, threshold below every probability: the whole scripted text.
  const all = new Completer(scriptedModel(tok.vocabSize, ids, probs), tok);
  assert.equal(
    all.complete('d', 'x', 0, { ...o, minConfidence: 0.2, maxLength: text.length }).items[0],
    text,
  );
  // Through the policy alone: the cut is exactly before the unsure piece.
  assert.equal(buildSuggestion(pieces('ab, cd', [0.9, 0.9, 0.9, 0.9, 0.4, 0.9]), '', policy()), 'ab, ');
});

test('word granularity: unsure inside a word, the suggestion goes back to the last whole word', () => {
  const p = policy();
  // Unsure at the 'e' of "red": "the big red" → "the big".
  const s = 'the big red';
  const probs = [...s].map((_, i) => (i === 9 ? 0.2 : 0.9));
  assert.equal(buildSuggestion(pieces(s, probs), 'x ', p), 'the big');
  // Completing a typed half-word and unsure before its end: nothing to show.
  assert.equal(buildSuggestion(pieces('plet', [0.9, 0.9, 0.9, 0.1]), 'com', p), '');
  // Unsure at a space: the words before it stay whole.
  assert.equal(buildSuggestion(pieces('ion is', [0.9, 0.9, 0.9, 0.2, 0.9, 0.9]), 'complet', p), 'ion');
});

test('loops: a repeated word or phrase is cut before its second copy; spellings and layout are not loops', () => {
  const p = policy({ minConfidence: 0 });
  // "The " + "the the …": the repeat spans the cursor; no whole word is left before it.
  assert.equal(buildSuggestion(pieces('the the the the the', 0.9), 'The ', p), '');
  assert.equal(buildSuggestion(pieces('cat the cat the cat the', 0.9), 'a ', p), 'cat the');
  // A loop that starts with a word typed before the cursor: nothing is left to show.
  assert.equal(buildSuggestion(pieces('the the the', 0.9), 'and the ', p), '');
  assert.equal(buildSuggestion(pieces('the cat sat. the cat sat. the cat', 0.9), '', p), 'the cat sat.');
  for (const fine of ['banana split', 'in 2020 and 1010', '-------- ))', 'Mississippi'])
    assert.equal(buildSuggestion(pieces(fine, 0.9), '', p), fine);
  // The person repeating typed text is completed, not cut.
  assert.equal(buildSuggestion(pieces('at sat.', 0.9), 'the cat sat. the c', p), 'at sat.');
});

test('multi-line: a line end is crossed only when it and the next indentation are confident', () => {
  const s = 'a = 1;\n  b = 2;';
  const at = (i: number, v: number) => [...s].map((_, k) => (k === i ? v : 0.95));
  const single = policy({ multiline: false });
  assert.equal(buildSuggestion(pieces(s, 0.95), '', single), 'a = 1;');
  const multi = policy({ multiline: true, multilineMinConfidence: 0.8 });
  assert.equal(buildSuggestion(pieces(s, 0.95), '', multi), s);
  // The newline, or a space of the indentation, or the new line's first character below 0.8.
  for (const i of [6, 8, 9])
    assert.equal(buildSuggestion(pieces(s, at(i, 0.6)), '', multi), 'a = 1;', `at ${i}`);
  // Ending inside the indentation (here: by length) leaves no dangling line.
  assert.equal(buildSuggestion(pieces(s, 0.95), '', { ...multi, maxLength: 8 }), 'a = 1;');
});

// A toy model trained on one repeated sentence: its greedy continuation goes round in a loop.
test('a trained toy model that loops gets its loop cut', async () => {
  const sentence = 'the cat sat on the mat. ';
  const folder = fixture({ 'a.txt': sentence.repeat(200) });
  const r = await train({
    folder,
    out: tmpDir(),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, {
      seqLen: 24,
      batch: 8,
      lr: 2e-2,
      steps: 150,
      evalEvery: 150,
      sampleLength: 0,
      seed: 3,
      valFraction: 0,
      model: { cell: 'lstm', hidden: 32, layers: 1, embedding: 16 },
    }),
  });
  const data = loadCheckpoint(r.checkpoint!);
  const tok = tokenizerFromJSON(data.manifest.tokenizer);
  const c = new Completer(new FastInferenceModel(data.manifest.model, data.weights), tok);
  const o = { ...DEFAULT_COMPLETE_OPTIONS, minConfidence: 0, maxLength: 60 };
  const prefix = 'the cat sat on the mat. the ';
  const raw = c
    .greedyPieces('raw', prefix, 0, o)
    .map((p) => p.piece)
    .join('');
  assert.ok(raw.includes('the mat. the cat sat on the mat.'), `the model loops: ${JSON.stringify(raw)}`);
  const [s] = c.complete('d', prefix, 0, o).items;
  assert.ok(s && raw.startsWith(s), `a prefix of the greedy text: ${JSON.stringify(s)}`);
  // Cut before the sentence comes round again: "cat sat on the mat." and no second copy.
  assert.equal(s, 'cat sat on the mat.');
});

test('complete-eval counts exactly: Tab, accept-word and rejected suggestions on a hand-made example', () => {
  const text = 'hello world';
  const shown: Record<number, string> = { 0: 'xyz', 1: 'ello wor', 9: 'ld!' };
  const asked: number[] = [];
  const c = simulateTyping(text, (before) => {
    asked.push(before.length);
    return shown[before.length] ?? '';
  });
  // p 0: "xyz" wrong → type 'h'; p 1: all of "ello wor" right → Tab to p 9;
  // p 9: "ld!" right up to "ld" → one accept-word for "ld" → p 11.
  assert.deepEqual(asked, [0, 1, 9]);
  assert.deepEqual(c, { chars: 11, keystrokes: 3, shown: 3, shownChars: 14, accepted: 2, acceptedChars: 10 });
  const f = figures(c);
  assert.equal(f.keystrokesSaved, 8 / 11);
  assert.equal(f.shownPer100Chars, 300 / 11);
  assert.equal(f.acceptanceRate, 2 / 3);
  assert.equal(f.meanAcceptedLength, 5);
  assert.equal(f.shownPerAcceptedChar, 1.4);
  // Accept-word takes whole matching words only, and only when that saves a keystroke.
  assert.deepEqual(acceptance(' big red door', ' big red car'), { chars: 8, keys: 2 });
  assert.deepEqual(acceptance('a b', 'a c'), { chars: 0, keys: 0 });
  assert.deepEqual(acceptance('same', 'same and more'), { chars: 4, keys: 1 });
});

test('the n-gram baseline: probabilities over the vocabulary sum to 1 in seen and unseen contexts', () => {
  const text = sampleText(5000, 2);
  for (const order of [1, 3, 6, 8]) {
    const ng = new CharNgramModel(text, order);
    for (const ctx of [
      '',
      't',
      'the ca',
      'the cat sat on the ',
      'zzzq',
      '\u00e9\u00e9 qx',
      text.slice(0, 40),
    ]) {
      const d = ng.distribution(ctx);
      const sum = d.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-9, `order ${order}, context ${JSON.stringify(ctx)}: sum ${sum}`);
      assert.ok(
        d.every((p) => p > 0),
        'every character keeps some probability',
      );
    }
  }
  const ng = new CharNgramModel(text, 6);
  assert.ok(ng.probability('the small gree', 'n') > 0.9, 'a known word is continued');
  assert.equal(ng.probability('x', '\u00e9'), 0, 'a character never seen is outside the vocabulary');
});

test('priming text: the start of each other file, within the budget, ending in a blank line', () => {
  const p = primeText(['import a from "a";\nconst x = 1;\nmore\n', '', 'b\n'], 40);
  assert.ok(p.length <= 40 + 4, p);
  assert.ok(
    p.startsWith('import a from "a";') && p.endsWith('\n\n') && p.includes('\n\nb'),
    JSON.stringify(p),
  );
  assert.equal(primeText([], 100), '');
});

test('priming: a new document starts from the state after the other files, and its edits rewind to it', () => {
  const prime = 'const total = 1;\n\n';
  const doc = 'let x = tot';
  const tok = CharTokenizer.train([prime + doc + 'abc']);
  const config: ModelConfig = {
    cell: 'gru',
    activation: 'tanh',
    vocabSize: tok.vocabSize,
    embedding: 8,
    hidden: 16,
    layers: 1,
    dropout: 0,
  };
  const model = new FastInferenceModel(config, initWeights(config, 3));
  const want = (text: string) => {
    const s = model.newState();
    for (const id of tok.encode(text)) model.step(s, id);
    return Array.from(s.h[0]);
  };
  const c = new Completer(model, tok);
  c.sync('d', doc, 0, 512, prime);
  assert.deepEqual(Array.from(c.stateOf('d')!.state.h[0]), want(prime + doc));
  // An edit at the very start rewinds to the primed state, not to a blank one.
  c.sync('d', 'a' + doc, 0, 512, prime);
  assert.deepEqual(Array.from(c.stateOf('d')!.state.h[0]), want(prime + 'a' + doc));
  // Without priming: the document alone.
  c.sync('e', doc, 0, 512);
  assert.deepEqual(Array.from(c.stateOf('e')!.state.h[0]), want(doc));
});

test('heading underlines: a run of one punctuation character under a line of text ends at its width', () => {
  const p = policy({ minConfidence: 0 });
  const run = (c: string) => pieces(c.repeat(40), 0.99);
  // `=` typed under "Title here" (10 characters): the rest of the underline, Tab takes all of it.
  assert.equal(buildSuggestion(run('='), 'x\n\nTitle here\n=', p), '='.repeat(9));
  assert.equal(buildSuggestion(run('-'), 'Install\n--', p), '-'.repeat(5));
  // Typed as long as the heading already: nothing more.
  assert.equal(buildSuggestion(run('='), 'Title\n=====', p), '');
  // A long heading, half underlined: the rest of its width (the loop rule sees less than this).
  const heading = 'A long heading: ' + 'words '.repeat(12);
  const half = '='.repeat(40);
  assert.equal(
    buildSuggestion(pieces('='.repeat(60), 0.99), `${heading}\n${half}`, p),
    '='.repeat(heading.length - 40),
  );
  // The heading's line must be in view whole: a text without a line end before it keeps the run.
  assert.equal(buildSuggestion(run('='), 'y'.repeat(300) + '\n=', p), '='.repeat(40));
  // Not under a line of text (a blank line, the first line), or not alone on its line: layout as before.
  assert.equal(buildSuggestion(run('-'), 'a\n\n-', p), '-'.repeat(40));
  assert.equal(buildSuggestion(run('-'), '', p), '-'.repeat(40));
  assert.equal(buildSuggestion(run('-'), 'ab\n// -', p), '-'.repeat(40));
});
