import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_TRAIN_CONFIG, ModelConfig } from '../../src/engine/config';
import { FastInferenceModel, simdKernelAvailable } from '../../src/engine/inference/fastModel';
import { InferenceModel } from '../../src/engine/inference/stepModel';
import { rankUnits } from '../../src/engine/inspect/correlate';
import { featuresPerToken, textFeatures } from '../../src/engine/inspect/features';
import { gateActivations, gateSaturation } from '../../src/engine/inspect/gates';
import { inspectText } from '../../src/engine/inspect/inspectText';
import { saliency } from '../../src/engine/inspect/saliency';
import { meanSurprisalBits, traceTokens } from '../../src/engine/inspect/trace';
import { initWeights, type Weights } from '../../src/engine/model/model';
import { CharTokenizer } from '../../src/engine/tokenizers';
import { initBackend } from '../../src/engine/wasm/backend';
import { saveCheckpointOf } from '../helpers/checkpointFile';
import { fixture, sampleText, tmpDir } from '../helpers/util';

const CLI = path.resolve(__dirname, '../../../bin/seqlab.js');

function seqlab(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const lstm = (vocabSize: number, hidden = 8, layers = 2): ModelConfig => ({
  cell: 'lstm',
  activation: 'tanh',
  vocabSize,
  embedding: 6,
  hidden,
  layers,
  dropout: 0,
});

function saveModel(
  dir: string,
  config: ModelConfig,
  tok: CharTokenizer,
  weights: Weights,
  seqLen: number,
): void {
  // One stream (batch 1): `seqlab eval` then reads the file as inspect does.
  saveCheckpointOf(dir, {
    model: config,
    tokenizer: tok,
    weights,
    manifest: { train: { ...DEFAULT_TRAIN_CONFIG, batch: 1, seqLen } },
  });
}

test('the mean surprisal over a file equals `seqlab eval`s loss on it (bits × ln 2 = nats)', () => {
  const T = 50;
  // n − 1 a multiple of T, so that eval's windows cover every predicted token.
  const text = sampleText(T * 8 + 1, 3).slice(0, T * 8 + 1);
  const tok = CharTokenizer.train([text]);
  assert.equal(tok.encode(text).length, T * 8 + 1);
  const folder = fixture({ 'a.txt': text });
  const ck = path.join(tmpDir(), 'ck');
  saveModel(ck, lstm(tok.vocabSize), tok, initWeights(lstm(tok.vocabSize), 5), T);
  const ins = JSON.parse(seqlab('inspect', ck, path.join(folder, 'a.txt'), '--json').out);
  const ev = JSON.parse(seqlab('eval', ck, folder, '--json').out);
  assert.equal(ins.tokens, T * 8 + 1);
  assert.ok(
    Math.abs(ins.mean_surprisal_bits * Math.LN2 - ev.loss) < 1e-4,
    `${ins.mean_surprisal_bits * Math.LN2} vs ${ev.loss}`,
  );
  assert.equal(ins.positions.length, T * 8 + 1);
  assert.ok(
    ins.features.positionInLine === undefined || typeof ins.features.positionInLine.best.r === 'number',
  );
});

test('the CLI prints chosen units and refuses a unit the model lacks, naming --units', () => {
  const text = 'let s = "a (b) c";\n  // note\nx = [1, 2];\n'.repeat(4);
  const tok = CharTokenizer.train([text]);
  const config = lstm(tok.vocabSize, 4, 1);
  const ck = path.join(tmpDir(), 'ck');
  saveModel(ck, config, tok, initWeights(config, 2), 20);
  const file = path.join(fixture({ 'a.ts': text }), 'a.ts');
  const r = seqlab('inspect', ck, file, '--units', '1,c0.3', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(Object.keys(j.positions[5].units), ['h0.1', 'c0.3']);
  for (const k of ['inString', 'inComment', 'bracketDepth', 'indentation', 'positionInLine', 'lineLength'])
    assert.ok(j.features[k], k);
  assert.equal(j.saturation.length, 3, 'input, forget and output gates of one layer');
  const human = seqlab('inspect', ck, file, '--units', '2');
  assert.match(
    human.out,
    /mean surprisal [\d.]+ bits per token[\s\S]*inside a string or quote[\s\S]*layer 0 forget/,
  );
  const bad = seqlab('inspect', ck, file, '--units', 'h0.9');
  assert.notEqual(bad.code, 0);
  assert.match(bad.err.trim(), /^seqlab: No unit "h0\.9" in this model .*--units.*h1\.40/);
  const badRe = seqlab('inspect', ck, file, '--regex', '(');
  assert.match(badRe.err, /not a valid regular expression.*--regex/);
});

test('text features: strings, comments, brackets, indentation, line position and a regex', () => {
  const text = 'a = "x(y)" // c\n  f(b[1]) /* k */ d\n';
  const f = textFeatures(text, /b\[\d\]/);
  const at = (k: keyof typeof f, ch: string, nth = 0) => {
    let i = -1;
    for (let k2 = 0; k2 <= nth; k2++) i = text.indexOf(ch, i + 1);
    return f[k][i];
  };
  assert.equal(at('inString', '"'), 1, 'an opening quote is inside');
  assert.equal(at('inString', '('), 1);
  assert.equal(at('inString', '"', 1), 0, 'a closing quote is not');
  assert.equal(at('bracketDepth', '('), 0, 'brackets inside strings do not count');
  assert.equal(at('inComment', 'c'), 1);
  assert.equal(at('inComment', 'k'), 1);
  assert.equal(at('inComment', 'd'), 0);
  assert.equal(at('bracketDepth', '1'), 2);
  assert.equal(at('indentation', 'f'), 2);
  assert.equal(at('positionInLine', 'f'), 2);
  assert.equal(at('lineLength', 'f'), text.split('\n')[1].length);
  assert.equal(at('regex', '1'), 1);
  assert.equal(at('regex', 'f'), 0);
});

/**
 * An LSTM whose unit 2 flips its cell between −1 and +1 at every quote: the input gate opens and
 * the forget gate closes only on '"', and the candidate is minus the sign of the unit's h.
 * Units 0, 1 and 3 are random.
 */
function plantedQuoteModel(tok: CharTokenizer): { config: ModelConfig; weights: Weights } {
  const H = 4;
  const config: ModelConfig = {
    cell: 'lstm',
    activation: 'tanh',
    vocabSize: tok.vocabSize,
    embedding: 2,
    hidden: H,
    layers: 1,
    dropout: 0,
  };
  const weights = initWeights(config, 9);
  const emb = weights.get('embedding')!.data;
  const quote = tok.encode('"')[0];
  for (let v = 0; v < tok.vocabSize; v++) {
    emb[v * 2] = v === quote ? 1 : 0;
  }
  const kx = weights.get('layer_0/kernel')!.data; // [2, 4H]
  const kh = weights.get('layer_0/recurrent_kernel')!.data; // [H, 4H]
  const b = weights.get('layer_0/bias')!.data;
  const K = 20;
  const j = 2;
  const col = (g: number) => g * H + j;
  for (let i = 0; i < 2; i++) for (let g = 0; g < 4; g++) kx[i * 4 * H + col(g)] = 0;
  for (let i = 0; i < H; i++) for (let g = 0; g < 4; g++) kh[i * 4 * H + col(g)] = 0;
  kx[col(0)] = 2 * K; // input gate: open on a quote
  b[col(0)] = -K;
  kx[col(1)] = -2 * K; // forget gate: closed on a quote
  b[col(1)] = K;
  kh[j * 4 * H + col(2)] = -K; // candidate: the opposite of the current sign
  b[col(2)] = 0.5 * K;
  b[col(3)] = K; // output gate open
  return { config, weights };
}

test('the correlation finder recovers a planted unit that tracks "inside quotes"', () => {
  const text = 'say "hello there" and "bye" then x = "a long string with words" ok.\n'.repeat(6);
  const tok = CharTokenizer.train([text]);
  const { config, weights } = plantedQuoteModel(tok);
  const ins = inspectText(new InferenceModel(config, weights), tok, text);
  const ranking = rankUnits(ins.trace, ins.features, 8);
  const quotes = ranking.find((r) => r.feature === 'inString')!;
  assert.match(quotes.top[0].unit, /^[hc]0\.2$/, JSON.stringify(quotes.top.slice(0, 3)));
  assert.ok(quotes.top[0].r > 0.95, `r = ${quotes.top[0].r}`);
  const others = quotes.top.filter((u) => !u.unit.endsWith('.2'));
  assert.ok(
    others.every((u) => Math.abs(u.r) < 0.9),
    JSON.stringify(others),
  );
});

test('traces agree between the JS and SIMD paths, and an edit recomputes only from the change', () => {
  const text = sampleText(600, 4);
  const tok = CharTokenizer.train([text + 'Z']);
  const config = lstm(tok.vocabSize, 12, 2);
  const weights = initWeights(config, 3);
  const js = traceTokens(new InferenceModel(config, weights), tok.encode(text));
  if (simdKernelAvailable()) {
    const fast = traceTokens(new FastInferenceModel(config, weights), tok.encode(text));
    for (let t = 0; t < js.surprisal.length; t++)
      assert.ok(Math.abs(js.surprisal[t] - fast.surprisal[t]) < 1e-3);
  }
  const edited = text.slice(0, 300) + 'Z' + text.slice(300);
  let steps = 0;
  const m = new InferenceModel(config, weights);
  const step = m.step.bind(m);
  m.step = (s, t) => {
    steps++;
    step(s, t);
  };
  const again = traceTokens(m, tok.encode(edited), js);
  assert.equal(steps, edited.length - 300, 'only the tokens from the edit on are read');
  const fresh = traceTokens(new InferenceModel(config, weights), tok.encode(edited));
  assert.deepEqual(again.surprisal, fresh.surprisal);
  assert.deepEqual(again.hidden[1], fresh.hidden[1]);
  assert.ok(meanSurprisalBits(fresh) > 0);
});

test('gate activations match the stepped state, and saturation is a fraction per unit', async () => {
  await initBackend('cpu');
  const text = sampleText(200, 2);
  const tok = CharTokenizer.train([text]);
  for (const cell of ['lstm', 'gru'] as const) {
    const config = { ...lstm(tok.vocabSize, 5, 2), cell };
    const weights = initWeights(config, 1);
    const trace = traceTokens(new InferenceModel(config, weights), tok.encode(text));
    const H = 5;
    const G = cell === 'lstm' ? 4 : 3;
    for (const l of [0, 1]) {
      const a = gateActivations(trace, weights, l);
      for (let t = 1; t < 40; t++)
        for (let j = 0; j < H; j++) {
          const at = (g: number) => a[t * G * H + g * H + j];
          const hPrev = trace.hidden[l][(t - 1) * H + j];
          const h = trace.hidden[l][t * H + j];
          if (cell === 'lstm') {
            const c = at(1) * trace.cell[l][(t - 1) * H + j] + at(0) * at(2);
            assert.ok(Math.abs(c - trace.cell[l][t * H + j]) < 1e-5);
            assert.ok(Math.abs(at(3) * Math.tanh(c) - h) < 1e-5);
          } else assert.ok(Math.abs(at(2) + at(0) * (hPrev - at(2)) - h) < 1e-5);
        }
    }
    const sat = gateSaturation(trace, weights);
    assert.equal(sat.length, 2 * (cell === 'lstm' ? 3 : 2));
    for (const s of sat) s.left.forEach((l, j) => assert.ok(l >= 0 && l + s.right[j] <= 1));
  }
});

test('saliency matches finite differences of log p on a small model', async () => {
  await initBackend('cpu');
  const tok = CharTokenizer.train(['abcdefgh']);
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    const config: ModelConfig = {
      cell,
      activation: 'tanh',
      vocabSize: tok.vocabSize,
      embedding: 3,
      hidden: 5,
      layers: 2,
      dropout: 0,
    };
    const weights = initWeights(config, 7);
    // Distinct tokens, so that nudging one token's embedding row nudges one input.
    const ids = tok.encode('hcfabgde');
    const trace = traceTokens(new InferenceModel(config, weights), ids);
    const target = 7;
    const s = saliency(trace, weights, target, 5);
    assert.equal(s.from, 2);
    assert.equal(s.norms.length, 5);
    const logp = (w: Weights) => {
      const m = new InferenceModel(config, w);
      const st = m.newState();
      for (let t = 0; t < target; t++) m.step(st, ids[t]);
      const lg = m.logits(st);
      const max = Math.max(...lg);
      const z = lg.reduce((a, v) => a + Math.exp(v - max), 0);
      return lg[ids[target]] - max - Math.log(z);
    };
    const eps = 1e-2;
    for (let t = s.from; t < target; t++) {
      let sq = 0;
      for (let e = 0; e < 3; e++) {
        const nudged = (d: number): Weights => {
          const w = new Map(weights);
          const emb = weights.get('embedding')!;
          const data = emb.data.slice();
          data[ids[t] * 3 + e] += d;
          w.set('embedding', { shape: emb.shape, data });
          return w;
        };
        const g = (logp(nudged(eps)) - logp(nudged(-eps))) / (2 * eps);
        sq += g * g;
      }
      const fd = Math.sqrt(sq);
      assert.ok(
        Math.abs(fd - s.norms[t - s.from]) < 2e-3 + 0.02 * fd,
        `${cell} t=${t}: ${fd} vs ${s.norms[t - s.from]}`,
      );
    }
  }
});

test('features per token take the value at the token end', () => {
  const f = featuresPerToken(textFeatures('ab"c"'), Int32Array.from([2, 3, 5]));
  assert.deepEqual(Array.from(f.inString), [0, 1, 0]);
  assert.ok(fs.existsSync(CLI));
});
