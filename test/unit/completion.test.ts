import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import { buildSync } from 'esbuild';
import * as path from 'path';
import { initBackend } from '../../src/engine/wasm/backend';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import { DEFAULT_TRAIN_CONFIG, ModelConfig, mergeConfig } from '../../src/engine/config';
import { InferenceModel, InferState, StepModel } from '../../src/engine/inference/stepModel';
import { chooseAnchor, Completer, DEFAULT_COMPLETE_OPTIONS } from '../../src/engine/inference/completer';
import { FastInferenceModel } from '../../src/engine/inference/fastModel';
import { tokenSpaceOf } from '../../src/engine/inference/tokenSpace';
import { initWeights } from '../../src/engine/model/model';
import { generate } from '../../src/engine/sample';
import { CharTokenizer, Tokenizer, tokenizerFromJSON } from '../../src/engine/tokenizers';
import { train } from '../../src/engine/trainer';
import { fixture, sampleText, tmpDir } from '../helpers/util';

before(async () => {
  await initBackend('wasm');
});

const CODE = `function add(a, b) {\n  return a + b;\n}\n\nfunction mul(a, b) {\n  return a * b;\n}\n`;

function randomModel(cell: ModelConfig['cell'], tok: Tokenizer, seed = 5): FastInferenceModel {
  const config: ModelConfig = {
    cell,
    activation: 'tanh',
    vocabSize: tok.vocabSize,
    embedding: 12,
    hidden: 20,
    layers: 2,
    dropout: 0,
  };
  return new FastInferenceModel(config, initWeights(config, seed));
}

/** The state the stream should have: the same tokens fed from a fresh state. */
function recomputed(model: StepModel, ids: number[]) {
  const s = model.newState();
  for (const id of ids) model.step(s, id);
  return s;
}

for (const cell of ['lstm', 'gru', 'rnn'] as const) {
  test(`${cell}: incremental state equals recomputation after typing, insertions and deletions before the cursor`, () => {
    const tok = CharTokenizer.train([CODE + sampleText(2000)]);
    const model = randomModel(cell, tok);
    const c = new Completer(model, tok, { memoryBytes: 2 ** 20, snapshotEvery: 8, recent: 4 });
    const space = tokenSpaceOf(tok);
    let doc = '';
    const check = (what: string, maxSteps?: number) => {
      const { steps } = c.sync('doc', doc, 0, 512);
      const s = c.stateOf('doc')!;
      const want = recomputed(model, space.splitTail(doc.slice(s.anchor)).ids);
      for (let l = 0; l < 2; l++) {
        assert.deepEqual(Array.from(s.state.h[l]), Array.from(want.h[l]), `${what}: h[${l}]`);
        assert.deepEqual(Array.from(s.state.c[l]), Array.from(want.c[l]), `${what}: c[${l}]`);
      }
      if (maxSteps !== undefined)
        assert.ok(steps <= maxSteps, `${what}: ${steps} steps, expected ≤ ${maxSteps}`);
      return steps;
    };
    for (const ch of CODE) {
      doc += ch;
      check(`typing ${JSON.stringify(doc.slice(-5))}`, 1);
    }
    doc = doc.slice(0, -1);
    assert.equal(check('backspace at the cursor'), 0);
    doc = doc.slice(0, 30) + 'XY' + doc.slice(30);
    const steps = check('insertion before the cursor');
    assert.ok(steps > 0 && steps < doc.length, `rewound to a snapshot, not to the start (${steps} steps)`);
    doc = doc.slice(0, 10) + doc.slice(20);
    check('deletion before the cursor');
    doc = 'PREFIX\n' + doc;
    check('insertion at the very start');
    doc = doc + sampleText(3000);
    check('a long paste (re-anchors)');
    assert.ok(c.stateOf('doc')!.anchor > 0, 'a long document is read from a recent anchor');
  });
}

test('the fast path and the JS path give the same greedy completion as the engine sampler', () => {
  const tok = CharTokenizer.train([CODE]);
  const config: ModelConfig = {
    cell: 'lstm',
    activation: 'tanh',
    vocabSize: tok.vocabSize,
    embedding: 8,
    hidden: 16,
    layers: 2,
    dropout: 0,
  };
  const w = initWeights(config, 9);
  const prime = 'function mul(a, b';
  // Ungated, crossing lines at any confidence: the whole greedy text.
  const o = {
    ...DEFAULT_COMPLETE_OPTIONS,
    maxLength: 20,
    multiline: true,
    minConfidence: 0,
    multilineMinConfidence: 0,
  };
  const want = generate(new InferenceModel(config, w), tok, { prime, temperature: 0, maxLength: 20 });
  // Two empty lists would agree without proving anything: these weights continue the prime.
  assert.ok(want.trim().length > 0, `the sampler continues the prime: ${JSON.stringify(want)}`);
  for (const m of [new InferenceModel(config, w), new FastInferenceModel(config, w)])
    assert.deepEqual(new Completer(m, tok).complete('d', prime, 0, o).items, [want], m.constructor.name);
});

test('stop at end of line, maximum length, and sampled alternatives', () => {
  const tok = CharTokenizer.train([CODE + sampleText(500)]);
  // Random models' greedy text is mostly one letter over and over, which the loop rule cuts;
  // this one repeats punctuation (layout, not a loop), so there is a long line to cut.
  const model = randomModel('lstm', tok, 2);
  const c = new Completer(model, tok);
  // A random model is unsure of everything: these are ungated.
  const ungated = { ...DEFAULT_COMPLETE_OPTIONS, minConfidence: 0, multilineMinConfidence: 0 };
  const one = c.complete('a', 'return a', 0, { ...ungated, maxLength: 200 }).items;
  // Loops over empty lists would prove nothing: there is one completion each time.
  assert.equal(one.length, 1);
  for (const s of one) assert.ok(!s.includes('\n'), JSON.stringify(s));
  const multi = c.complete('a', 'return a', 0, {
    ...ungated,
    maxLength: 40,
    multiline: true,
  }).items;
  assert.equal(multi.length, 1);
  for (const s of multi) assert.ok([...s].length <= 40 && [...s].length > 0);
  const alts = c.complete('a', 'return a', 0, {
    ...ungated,
    temperature: 1,
    alternatives: 4,
    maxLength: 12,
    multiline: true,
  }).items;
  assert.ok(alts.length >= 2, `sampled alternatives differ: ${JSON.stringify(alts)}`);
  assert.equal(new Set(alts).size, alts.length);
});

test('memory stays bounded over many documents (least recently used are dropped)', () => {
  const tok = CharTokenizer.train([CODE]);
  const model = randomModel('lstm', tok);
  const c = new Completer(model, tok, { memoryBytes: 64 * 1024, snapshotEvery: 16, recent: 4 });
  for (let d = 0; d < 50; d++) c.sync(`doc${d}`, CODE.repeat(3), 0, 512);
  assert.ok(c.memoryBytes() <= 64 * 1024, `${c.memoryBytes()} bytes`);
  assert.ok(c.stateOf('doc49'), 'the most recent document is kept');
  assert.equal(c.stateOf('doc0'), undefined);
});

test('a cold stream starts at a line start within the context window', () => {
  const text = 'aaaa\nbbbb\ncccc\ndddd';
  assert.equal(chooseAnchor(text, 100, 512), 100);
  assert.equal(chooseAnchor(text, 100, 12), 100 + text.indexOf('cccc'));
  assert.equal(chooseAnchor('x'.repeat(50), 0, 10), 40);
});

// A small model trained on repetitive text: it knows the words, so a partial word has one right ending.
async function trained(tokenizer: 'word' | 'bpe') {
  const text = sampleText(6000, 4);
  const folder = fixture({ 'a.txt': text, 'b.txt': sampleText(3000, 5) });
  const r = await train({
    folder,
    out: tmpDir(),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, {
      tokenizer,
      vocabSize: tokenizer === 'bpe' ? 320 : 0,
      seqLen: 16,
      batch: 8,
      lr: 1e-2,
      steps: 250,
      evalEvery: 250,
      sampleLength: 0,
      seed: 2,
      model: { cell: 'lstm', hidden: 64, layers: 1, embedding: 32 },
    }),
  });
  const data = loadCheckpoint(r.checkpoint!);
  const tok = tokenizerFromJSON(data.manifest.tokenizer);
  return { tok, model: new FastInferenceModel(data.manifest.model, data.weights) };
}

test('word model: a partial last word is continued, not restarted', async () => {
  const { tok, model } = await trained('word');
  const c = new Completer(model, tok);
  // Token healing, not gating: the threshold these models were written for.
  const o = { ...DEFAULT_COMPLETE_OPTIONS, maxLength: 10, minConfidence: 0.7 };
  // 'hap' is not a word of the vocabulary (it would encode as <unk>); only 'happy' starts with it.
  assert.equal(tok.encode('hap')[0], tok.unkId);
  const [s] = c.complete('w', 'it was very hap', 0, o).items;
  assert.ok(s?.startsWith('py'), `completion of "hap": ${JSON.stringify(s)}`);
  // After a space the next word is free; after "gree" it must be "green".
  const [g] = c.complete('w2', 'the small gree', 0, o).items;
  assert.ok(g?.startsWith('n'), `completion of "gree": ${JSON.stringify(g)}`);
});

test('bpe model: a word cut inside a token is continued at the byte level', async () => {
  const { tok, model } = await trained('bpe');
  const c = new Completer(model, tok);
  // Token healing, not gating: the threshold these models were written for.
  const o = { ...DEFAULT_COMPLETE_OPTIONS, maxLength: 10, minConfidence: 0.7 };
  for (const [prefix, rest] of [
    ['the big red hou', 'se'],
    ['it was very hap', 'py'],
    ['and the gr', 'een'],
  ]) {
    const [s] = c.complete(prefix, prefix, 0, o).items;
    assert.ok(s?.startsWith(rest), `completion of ${JSON.stringify(prefix)}: ${JSON.stringify(s)}`);
  }
});

test('the committed kernel bytes are assembled from their .wat sources', () => {
  const root = path.resolve(__dirname, '../../..');
  // Exits 1 (and this throws) when a generated kernel module (src/engine/wasm/*Wasm.ts) is stale.
  execFileSync(process.execPath, ['scripts/build-kernel.mjs', '--check'], { cwd: root, stdio: 'pipe' });
});

/** One model on one thread and the same weights on two; big enough that products are split. */
function threadPair(cell: ModelConfig['cell'], seed: number) {
  const config: ModelConfig = {
    cell,
    activation: 'tanh',
    vocabSize: 40,
    embedding: 16,
    hidden: 192,
    layers: 2,
    dropout: 0,
  };
  const w = initWeights(config, seed);
  return { one: new FastInferenceModel(config, w), two: new FastInferenceModel(config, w, { threads: 2 }) };
}

test('two threads give the same logits as one, bit for bit', () => {
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    const { one, two } = threadPair(cell, 4);
    try {
      const [s1, s2] = [one.newState(), two.newState()];
      for (let i = 0; i < 50; i++) {
        one.step(s1, (i * 7) % 40);
        two.step(s2, (i * 7) % 40);
      }
      assert.deepEqual(Array.from(two.logits(s2)), Array.from(one.logits(s1)), cell);
      assert.deepEqual(Array.from(s2.h[1]), Array.from(s1.h[1]), `${cell} top state`);
    } finally {
      two.dispose();
    }
  }
});

test('advance over many tokens gives the states of stepping one token at a time, bit for bit', async () => {
  for (const [cell, activation] of [
    ['lstm', 'tanh'],
    ['gru', 'tanh'],
    ['rnn', 'relu'],
  ] as const)
    for (const layers of [1, 2, 3])
      for (const threads of [1, 2] as const) {
        const config: ModelConfig = {
          cell,
          activation,
          vocabSize: 40,
          embedding: 16,
          hidden: 72,
          layers,
          dropout: 0,
        };
        const model = new FastInferenceModel(config, initWeights(config, 9), { threads });
        try {
          // Blocks run here until the helper has started: wait for it, to test the pipeline.
          assert.equal(await model.helperStarted(), threads === 2, 'the helper thread started');
          // 70 tokens: two whole blocks of 32 and a part block, so the helper's blocks alternate.
          const ids = Array.from({ length: 70 }, (_, i) => (i * 11 + 3) % 40);
          const stepped = model.newState();
          const want: InferState[] = [];
          for (const id of ids) {
            model.step(stepped, id);
            want.push(model.cloneState(stepped));
          }
          const s = model.newState();
          const got = new Map<number, InferState>();
          const keep = (i: number) => i % 9 === 0 || i > 65;
          model.advance(s, ids, keep, (i, st) => got.set(i, st));
          const what = `${cell} ×${layers} layers, ${threads} thread(s)`;
          assert.deepEqual(
            [...got.keys()],
            ids.map((_, i) => i).filter(keep),
            `${what}: states asked for, in order`,
          );
          for (const [i, st] of got)
            for (let l = 0; l < layers; l++) {
              assert.deepEqual(
                Array.from(st.h[l]),
                Array.from(want[i].h[l]),
                `${what}: h[${l}] after token ${i}`,
              );
              assert.deepEqual(
                Array.from(st.c[l]),
                Array.from(want[i].c[l]),
                `${what}: c[${l}] after token ${i}`,
              );
            }
          for (let l = 0; l < layers; l++)
            assert.deepEqual(Array.from(s.h[l]), Array.from(stepped.h[l]), what);
          // And continuing from it: a short run after a long one.
          model.advance(s, ids.slice(0, 5));
          for (const id of ids.slice(0, 5)) model.step(stepped, id);
          assert.deepEqual(Array.from(model.logits(s)), Array.from(model.logits(stepped)), `${what}: logits`);
        } finally {
          model.dispose();
        }
      }
});

test('the helper thread works from a minified bundle (the packaged extension is minified)', async () => {
  const root = path.resolve(__dirname, '../../..');
  const out = path.join(tmpDir('seqlab-min-'), 'fastModel.js');
  // The helper runs the source text of functions from this module: renamed identifiers must not
  // break it (a broken helper is only noticed by its one-second timeout, then one thread).
  buildSync({
    entryPoints: [path.join(root, 'src/engine/inference/fastModel.ts')],
    outfile: out,
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'silent',
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { FastInferenceModel: Minified } = require(out) as { FastInferenceModel: typeof FastInferenceModel };
  const config: ModelConfig = {
    cell: 'lstm',
    activation: 'tanh',
    vocabSize: 40,
    embedding: 16,
    hidden: 64,
    layers: 2,
    dropout: 0,
  };
  const w = initWeights(config, 2);
  const one = new FastInferenceModel(config, w);
  const two = new Minified(config, w, { threads: 2 });
  try {
    assert.ok(await two.helperStarted(), 'the minified helper starts');
    const ids = Array.from({ length: 80 }, (_, i) => (i * 5) % 40);
    const [s1, s2] = [one.newState(), two.newState()];
    one.advance(s1, ids);
    two.advance(s2, ids);
    assert.deepEqual(Array.from(two.logits(s2)), Array.from(one.logits(s1)));
    assert.equal(two.threads, 2, 'the helper thread was given up');
  } finally {
    two.dispose();
  }
});

test('a helper thread that dies does not hang the model: its half is done on the calling thread', async () => {
  const { one, two } = threadPair('lstm', 6);
  // Stopped behind the model's back: it no longer answers, as a helper that crashed.
  (two as unknown as { helper: { stop(): void } }).helper.stop();
  await new Promise((r) => setTimeout(r, 100));
  const [s1, s2] = [one.newState(), two.newState()];
  for (let i = 0; i < 5; i++) {
    one.step(s1, i);
    two.step(s2, i);
  }
  assert.deepEqual(Array.from(two.logits(s2)), Array.from(one.logits(s1)));
  assert.equal(two.threads, 1, 'the silent helper was given up');
  two.dispose();
});

test('a helper thread that dies during a context does not hang it: its blocks are done here', async () => {
  const { one, two } = threadPair('gru', 8);
  // Stopped behind the model's back: it no longer answers, as a helper that crashed.
  (two as unknown as { helper: { stop(): void } }).helper.stop();
  await new Promise((r) => setTimeout(r, 100));
  const ids = Array.from({ length: 80 }, (_, i) => (i * 3) % 40);
  const [s1, s2] = [one.newState(), two.newState()];
  one.advance(s1, ids);
  two.advance(s2, ids);
  assert.deepEqual(Array.from(two.logits(s2)), Array.from(one.logits(s1)));
  assert.equal(two.threads, 1, 'the silent helper was given up');
  two.dispose();
});
