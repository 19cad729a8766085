import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ModelConfig } from '../../src/engine/config';
import { FastInferenceModel, simdKernelAvailable } from '../../src/engine/inference/fastModel';
import { InferenceModel } from '../../src/engine/inference/stepModel';
import { gateActivations } from '../../src/engine/inspect/gates';
import { TOP_K, traceTokens, type ModelTrace } from '../../src/engine/inspect/trace';
import { initWeights } from '../../src/engine/model/model';
import { CharTokenizer } from '../../src/engine/tokenizers';
import { initBackend } from '../../src/engine/wasm/backend';
import { sampleText } from '../helpers/util';

const TOL = 1e-4;

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) [worst, at] = [d, i];
  }
  assert.ok(worst < TOL, `${what}: differs by ${worst} at ${at} (${a[at]} vs ${b[at]})`);
}

/** Positions whose best two reference logits are not near-tied: there, top-5 must agree exactly. */
function assertSameTop(fast: ModelTrace, ref: ModelTrace, what: string): void {
  assertClose(fast.topProbs, ref.topProbs, `${what} top-${TOP_K} probabilities`);
  for (let t = 0; t < ref.tokens.length; t++) {
    const p = ref.topProbs.subarray(t * TOP_K, t * TOP_K + 2);
    if (p[0] - p[1] < 1e-3) continue;
    assert.equal(fast.topIds[t * TOP_K], ref.topIds[t * TOP_K], `${what} best token at ${t}`);
  }
}

// Hidden sizes that are and are not a multiple of the kernel's 4 lanes; one, two and three layers;
// texts longer than one block of the fast path, with a partial last block of odd length.
const CASES: { cell: ModelConfig['cell']; hidden: number; layers: number; activation?: 'relu' }[] = [
  { cell: 'rnn', hidden: 10, layers: 2 },
  { cell: 'rnn', hidden: 8, layers: 3, activation: 'relu' },
  { cell: 'lstm', hidden: 10, layers: 2 },
  { cell: 'lstm', hidden: 8, layers: 1 },
  { cell: 'gru', hidden: 10, layers: 2 },
  { cell: 'gru', hidden: 12, layers: 1 },
];

test('the SIMD trace equals the step-by-step reference: states, gates, surprisal, top-5', async () => {
  assert.ok(simdKernelAvailable(), 'Node 20 runs WebAssembly SIMD');
  await initBackend('cpu');
  const text = sampleText(333, 9);
  const tok = CharTokenizer.train([text]);
  const ids = tok.encode(text);
  for (const c of CASES) {
    const what = `${c.cell} ${c.layers}×${c.hidden}${c.activation ? ' relu' : ''}`;
    const config: ModelConfig = {
      cell: c.cell,
      activation: c.activation ?? 'tanh',
      vocabSize: tok.vocabSize,
      embedding: 6,
      hidden: c.hidden,
      layers: c.layers,
      dropout: 0,
    };
    const weights = initWeights(config, 11);
    const ref = traceTokens(new InferenceModel(config, weights), ids);
    const fast = traceTokens(new FastInferenceModel(config, weights), ids);
    for (let l = 0; l < c.layers; l++) {
      assertClose(fast.hidden[l], ref.hidden[l], `${what} h${l}`);
      if (c.cell === 'lstm') assertClose(fast.cell[l], ref.cell[l], `${what} c${l}`);
      else assert.equal(fast.cell.length, 0);
      if (c.cell !== 'rnn')
        assertClose(
          gateActivations(fast, weights, l),
          gateActivations(ref, weights, l),
          `${what} gates of layer ${l}`,
        );
    }
    assertClose(fast.surprisal, ref.surprisal, `${what} surprisal`);
    assertSameTop(fast, ref, what);
  }
});

test('the SIMD trace after an edit equals a fresh one, bit for bit, and recomputes from the edit on', () => {
  const text = sampleText(400, 5);
  const tok = CharTokenizer.train([text + 'Z']);
  const config: ModelConfig = {
    cell: 'lstm',
    activation: 'tanh',
    vocabSize: tok.vocabSize,
    embedding: 6,
    hidden: 10,
    layers: 2,
    dropout: 0,
  };
  const model = new FastInferenceModel(config, initWeights(config, 2));
  const before = traceTokens(model, tok.encode(text));
  const edited = text.slice(0, 150) + 'Z' + text.slice(150);
  const trace = model.trace!.bind(model);
  let read = 0;
  model.trace = (s, tokens, onBlock) => {
    read += tokens.length;
    trace(s, tokens, onBlock);
  };
  const again = traceTokens(model, tok.encode(edited), before);
  assert.equal(read, edited.length - 150, 'only the tokens from the edit on are read');
  const fresh = traceTokens(new FastInferenceModel(config, initWeights(config, 2)), tok.encode(edited));
  for (let l = 0; l < 2; l++) {
    assert.deepEqual(again.hidden[l], fresh.hidden[l]);
    assert.deepEqual(again.cell[l], fresh.cell[l]);
  }
  assert.deepEqual(again.surprisal, fresh.surprisal);
  assert.deepEqual(again.topIds, fresh.topIds);
});
