import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/wasm/backend';
import type { ModelConfig } from '../../src/engine/config';
import { CharTokenizer, tokenizerFromJSON } from '../../src/engine/tokenizers';
import { initSeq2seqWeights, Seq2seqModel, Seq2seqShape } from '../../src/engine/tasks/seq2seq/model';
import { encodePairs, makeBatch } from '../../src/engine/tasks/seq2seq/data';
import { beamSearch, candidates, greedyBatch, repeatsNgram } from '../../src/engine/tasks/seq2seq/decode';
import { SideVocab } from '../../src/engine/tasks/seq2seq/vocab';
import { DEFAULT_SEQ2SEQ, type Seq2seqOptions } from '../../src/engine/tasks/seq2seq/options';
import { loadSeq2seq } from '../../src/engine/tasks/seq2seq/spec';
import * as path from 'path';
import { saveCheckpointOf } from '../helpers/checkpointFile';
import { tmpDir } from '../helpers/util';

before(async () => {
  // Finite differences want the most exact arithmetic available: the pure-JS cpu backend.
  await initBackend('cpu');
});

const tok = CharTokenizer.train(['abcdefgh xyz']);
const vocab = new SideVocab(tok);
const PAIRS = [
  { source: 'abc', target: 'cba' },
  { source: 'defgh', target: 'hg' },
  { source: 'xy', target: 'yzx' },
];

function shape(cell: ModelConfig['cell'], o: Partial<Seq2seqOptions>, hidden = 6): Seq2seqShape {
  return {
    model: { cell, activation: 'tanh', vocabSize: vocab.size, embedding: 5, hidden, layers: 2, dropout: 0 },
    sourceVocab: vocab.size,
    options: {
      attention: 'luong',
      score: 'general',
      bidirectional: false,
      bridge: 'state',
      tieEmbeddings: false,
      ...o,
    } as Seq2seqShape['options'],
  };
}

function batchOf(pairs = PAIRS) {
  const enc = encodePairs(
    pairs,
    vocab,
    vocab,
    { maxLen: 0, overLength: 'truncate' },
    { truncated: 0, dropped: 0, unknown: 0 },
  );
  return { enc, batch: makeBatch(enc, vocab, vocab) };
}

/** Central finite differences of the loss on a few entries of `param`, against tf.grads. */
function checkGradient(model: Seq2seqModel, param: string, epsilon = 0): void {
  const { batch } = batchOf();
  const v = model.p(param);
  const f = () => model.loss(batch, epsilon, { training: false });
  const { grads } = tf.variableGrads(f, [v]);
  const g = grads[v.name].dataSync();
  const base = v.dataSync().slice();
  const h = 1e-2;
  const n = base.length;
  for (const i of [0, Math.floor(n / 3), Math.floor((2 * n) / 3), n - 1]) {
    const at = (d: number) => {
      const w = base.slice();
      w[i] += d;
      v.assign(tf.tensor(w, v.shape));
      return f().dataSync()[0];
    };
    const numeric = (at(h) - at(-h)) / (2 * h);
    v.assign(tf.tensor(base, v.shape));
    const err = Math.abs(numeric - g[i]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(g[i]));
    assert.ok(err < 3e-2, `${param}[${i}]: autodiff ${g[i]} vs finite differences ${numeric}`);
  }
}

for (const [name, opts, params] of [
  ['Luong general attention', { score: 'general' }, ['attention/kernel', 'attention/output']],
  [
    'Bahdanau additive attention',
    { attention: 'bahdanau' },
    ['attention/query', 'attention/key', 'attention/v'],
  ],
  [
    "the bridge to the decoder's initial states",
    {},
    [
      'bridge/layer_0/kernel',
      'bridge/layer_1/kernel',
      'bridge/layer_1/bias',
      'encoder/layer_0/recurrent_kernel',
    ],
  ],
  [
    'the bidirectional bridge',
    { bidirectional: true },
    ['bridge/layer_0/kernel', 'bridge/layer_1/bias', 'encoder/layer_1_reverse/recurrent_kernel'],
  ],
  ['the input bridge of older checkpoints', { bridge: 'input' }, ['bridge/kernel', 'bridge/bias']],
  [
    'bidirectional encoder layers',
    { bidirectional: true },
    [
      'encoder/layer_0_reverse/kernel',
      'encoder/layer_1_reverse/recurrent_kernel',
      'encoder/layer_0/kernel',
      'encoder/embedding',
    ],
  ],
  ['tied embeddings with label smoothing', { tieEmbeddings: true }, ['embedding', 'output/bias']],
  [
    'input feeding (the attentional vector into the next step)',
    { inputFeeding: true },
    [
      'input_feed/kernel',
      'layer_0/kernel',
      'layer_1/recurrent_kernel',
      'attention/output',
      'bridge/layer_0/kernel',
    ],
  ],
  [
    'input feeding with Bahdanau scores and the input bridge',
    { inputFeeding: true, attention: 'bahdanau', bridge: 'input' },
    ['input_feed/kernel', 'attention/query', 'bridge/kernel', 'layer_0/bias'],
  ],
] as [string, Partial<Seq2seqOptions>, string[]][]) {
  for (const cell of ['lstm', 'gru'] as const)
    test(`gradient check (${cell}): ${name}`, () => {
      const s = shape(cell, opts, opts.tieEmbeddings ? 5 : 6);
      const m = new Seq2seqModel(s, initSeq2seqWeights(s, 3, 'pytorch'));
      for (const p of params) checkGradient(m, p, opts.tieEmbeddings ? 0.1 : 0);
      m.dispose();
    });
}

test('padding invariance: a pair batched with longer ones gets the same encoding, attention and loss as alone', () => {
  for (const bidirectional of [false, true]) {
    const s = shape('lstm', { bidirectional });
    const m = new Seq2seqModel(s, initSeq2seqWeights(s, 5, 'pytorch'));
    const alone = batchOf([PAIRS[0]]);
    const mixed = batchOf([PAIRS[0], PAIRS[1]]);
    const o = { training: false };
    const ea = m.encode(alone.batch.src, alone.batch.srcLen, alone.batch.S, 1, o);
    const em = m.encode(mixed.batch.src, mixed.batch.srcLen, mixed.batch.S, 2, o);
    const L = alone.batch.S;
    const close = (a: tf.Tensor, b: tf.Tensor, what: string) => {
      const d = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
      assert.ok(d < 1e-5, `${what} differs by ${d} (bidirectional ${bidirectional})`);
    };
    close(ea.memory, tf.slice(em.memory, [0, 0, 0], [1, L, s.model.hidden]), 'encoder outputs');
    close(ea.bridge, tf.slice(em.bridge, [0, 0], [1, ea.bridge.shape[1]]), 'bridge');
    const first = m.step(ea, null, []);
    const firstMixed = m.step(em, null, []);
    close(first.logp, tf.slice(firstMixed.logp, [0, 0], [1, vocab.size]), 'first-step log-probabilities');
    const padWeights = tf.slice(firstMixed.weights, [0, L], [1, mixed.batch.S - L]);
    assert.ok(tf.max(padWeights).dataSync()[0] < 1e-12, 'padding gets no attention');
    // The loss per token of the pair alone equals its share of the mixed batch's.
    const la = m.loss(alone.batch, 0, o).dataSync()[0];
    const lb = m.loss(batchOf([PAIRS[1]]).batch, 0, o).dataSync()[0];
    const lm = m.loss(mixed.batch, 0, o).dataSync()[0];
    const na = PAIRS[0].target.length + 1;
    const nb = PAIRS[1].target.length + 1;
    assert.ok(
      Math.abs(lm - (la * na + lb * nb) / (na + nb)) < 1e-5,
      'loss is the mean over real tokens only',
    );
    m.dispose();
  }
});

test('beam search of width 1 gives the greedy output', async () => {
  for (const cell of ['lstm', 'gru'] as const) {
    const s = shape(cell, { bidirectional: true, attention: 'bahdanau' }, 8);
    const m = new Seq2seqModel(s, initSeq2seqWeights(s, 11, 'pytorch'));
    const { enc } = batchOf();
    const greedy = await greedyBatch(m, vocab, vocab, enc, 2);
    for (const [i, p] of enc.entries()) {
      const b = await beamSearch(m, vocab, p.src, {
        beam: 1,
        lengthPenalty: 0,
        maxLenRatio: 2,
        blockNgram: 0,
      });
      assert.deepEqual(b.ids, greedy[i], `${cell}: pair ${i}`);
    }
    m.dispose();
  }
});

test('beam candidates: each hypothesis’s 2K best tokens give the first 2K of sorting every extension (ties included)', () => {
  const [K, V] = [3, 40];
  const live = [
    { ids: [5, 6], score: -1 },
    { ids: [7], score: -1.5 },
    { ids: [5, 6, 5], score: -0.5 },
  ];
  // Values on a coarse grid, so that many extensions tie and the tie order matters.
  const logp = Float32Array.from(
    { length: live.length * V },
    (_, i) => -Math.round(Math.abs(Math.sin(i * 7.3)) * 8) / 4,
  );
  const all: { from: number; tok: number; score: number }[] = [];
  live.forEach((h, i) => {
    for (let v = 0; v < V; v++)
      if (v !== vocab.pad && v !== vocab.bos) all.push({ from: i, tok: v, score: h.score + logp[i * V + v] });
  });
  all.sort((a, b) => b.score - a.score || a.from - b.from || a.tok - b.tok);
  const got = candidates(live, logp, V, K, vocab, 0);
  assert.deepEqual(got.slice(0, 2 * K), all.slice(0, 2 * K));
  assert.ok(all[2 * K - 1].score === all[2 * K].score, 'the test should cut through a tie');
});

test('input feeding: the gradient reaches the feed weights, and decoding feeds h̃ as training does', async () => {
  for (const cell of ['lstm', 'gru'] as const) {
    const s = shape(cell, { inputFeeding: true }, 8);
    const m = new Seq2seqModel(s, initSeq2seqWeights(s, 13, 'pytorch'));
    const { enc, batch } = batchOf();
    const feed = m.p('input_feed/kernel');
    const { grads } = tf.variableGrads(() => m.loss(batch, 0, { training: false }), [feed]);
    assert.ok(tf.max(tf.abs(grads[feed.name])).dataSync()[0] > 1e-4, `${cell}: the feed weights learn`);
    // Larger feed weights than at initialisation, so that a step that lost h̃ would show plainly.
    feed.assign(tf.mul(feed, 4));
    // Self-consistency: teacher-forcing the greedy outputs gives, token by token, the log-probabilities
    // the decoding steps chose them with (so the steps carry h̃ from one to the next as training does).
    const greedy = await greedyBatch(m, vocab, vocab, enc, 2);
    enc.forEach((p, i) => {
      const ids = greedy[i];
      const e = m.encode(p.src, Int32Array.of(p.src.length), p.src.length, 1, { training: false });
      let states: ReturnType<Seq2seqModel['initialStates']> = [];
      let prev: Int32Array | null = null;
      let sum = 0;
      const limit = Math.ceil(2 * p.src.length) + 5;
      [...ids, vocab.eos].forEach((id, j) => {
        const r = m.step(e, prev, states);
        const row = r.logp.dataSync() as Float32Array;
        let best = vocab.eos;
        row.forEach((v, k) => {
          if (k !== vocab.pad && k !== vocab.bos && v > row[best]) best = k;
        });
        if (j < ids.length || ids.length < limit)
          assert.equal(best, id, `${cell}: pair ${i} step ${j} is greedy`);
        sum -= row[id];
        states = r.states;
        prev = Int32Array.of(id);
      });
      assert.equal(states.length, s.model.layers + 1, 'the decoding state carries h̃');
      const forced = makeBatch([{ ...p, tgt: Int32Array.from(ids) }], vocab, vocab);
      const loss = m.loss(forced, 0, { training: false }).dataSync()[0];
      assert.ok(
        Math.abs(loss - sum / (ids.length + 1)) < 1e-4,
        `${cell}: pair ${i}: teacher-forced loss ${loss} vs decoding ${sum / (ids.length + 1)}`,
      );
    });
    for (const [i, p] of enc.entries()) {
      const b = await beamSearch(m, vocab, p.src, {
        beam: 1,
        lengthPenalty: 0,
        maxLenRatio: 2,
        blockNgram: 0,
      });
      assert.deepEqual(b.ids, greedy[i], `${cell}: beam 1 = greedy, pair ${i}`);
    }
    m.dispose();
  }
});

test('n-gram blocking: a repeated n-gram is detected, a new one is not', () => {
  assert.equal(repeatsNgram([1, 2, 3, 1], 2, 2), true);
  assert.equal(repeatsNgram([1, 2, 3, 1], 3, 2), false);
  assert.equal(repeatsNgram([1, 2], 1, 3), false);
  assert.equal(repeatsNgram([5, 5, 5], 5, 3), true);
});

test('a checkpoint from before the state bridge (spec without `bridge`) loads with its input bridge and translates as before', async () => {
  const s = shape('gru', { bridge: 'input' }, 8);
  const weights = initSeq2seqWeights(s, 7, 'pytorch');
  const dir = path.join(tmpDir(), 'step-00000001');
  const { bridge: _drop, ...oldOptions } = { ...DEFAULT_SEQ2SEQ, ...s.options };
  saveCheckpointOf(dir, {
    model: s.model,
    tokenizer: tokenizerFromJSON(vocab.displayTokenizer()),
    weights,
    manifest: {
      task: 'seq2seq',
      taskSpec: { source: tok.toJSON(), sourceVocab: vocab.size, options: oldOptions },
    },
  });
  const loaded = loadSeq2seq(dir, 'Translating');
  assert.equal(loaded.options.bridge, 'input');
  assert.ok(loaded.model.params.has('bridge/kernel') && !loaded.model.params.has('bridge/layer_0/kernel'));
  const fresh = new Seq2seqModel(s, weights);
  const { enc } = batchOf();
  assert.deepEqual(
    await greedyBatch(loaded.model, vocab, vocab, enc, 2),
    await greedyBatch(fresh, vocab, vocab, enc, 2),
  );
  // The input bridge starts every decoder layer from zeros and feeds the bridge as the first input.
  const e = loaded.model.encode(enc[0].src, Int32Array.of(enc[0].src.length), enc[0].src.length, 1, {
    training: false,
  });
  assert.deepEqual(e.bridge.shape, [1, s.model.embedding]);
  assert.equal(tf.max(tf.abs(loaded.model.initialStates(e)[0].h)).dataSync()[0], 0);
  loaded.model.dispose();
  fresh.dispose();
});

test('input feeding is saved in the checkpoint spec; a spec without the field loads without it', async () => {
  for (const inputFeeding of [true, undefined]) {
    const s = shape('lstm', { inputFeeding: inputFeeding ?? false }, 8);
    const weights = initSeq2seqWeights(s, 17, 'pytorch');
    const dir = path.join(tmpDir(), 'step-00000001');
    const { inputFeeding: _drop, ...rest } = { ...DEFAULT_SEQ2SEQ, ...s.options };
    saveCheckpointOf(dir, {
      model: s.model,
      tokenizer: tokenizerFromJSON(vocab.displayTokenizer()),
      weights,
      manifest: {
        task: 'seq2seq',
        taskSpec: {
          source: tok.toJSON(),
          sourceVocab: vocab.size,
          options: inputFeeding ? { ...rest, inputFeeding } : rest,
        },
      },
    });
    const loaded = loadSeq2seq(dir, 'Translating');
    assert.equal(loaded.options.inputFeeding, inputFeeding ?? false);
    assert.equal(loaded.model.params.has('input_feed/kernel'), inputFeeding ?? false);
    const fresh = new Seq2seqModel(s, weights);
    const { enc } = batchOf();
    assert.deepEqual(
      await greedyBatch(loaded.model, vocab, vocab, enc, 2),
      await greedyBatch(fresh, vocab, vocab, enc, 2),
    );
    loaded.model.dispose();
    fresh.dispose();
  }
});

test('the state bridge sets every decoder layer’s initial state (h and c for an LSTM) from the encoder', () => {
  const s = shape('lstm', { bidirectional: true }, 8);
  const m = new Seq2seqModel(s, initSeq2seqWeights(s, 9, 'pytorch'));
  const { batch } = batchOf();
  const e = m.encode(batch.src, batch.srcLen, batch.S, batch.B, { training: false });
  const states = m.initialStates(e);
  assert.equal(states.length, s.model.layers);
  for (const st of states) {
    assert.deepEqual(st.h.shape, [batch.B, s.model.hidden]);
    assert.ok(st.c, 'an LSTM layer gets a cell state');
    assert.ok(tf.max(tf.abs(st.h)).dataSync()[0] > 1e-3, 'h comes from the encoder, not zeros');
    assert.ok(tf.max(tf.abs(st.c!)).dataSync()[0] > 1e-3, 'c comes from the encoder, not zeros');
  }
  // Different sources, different initial states.
  const d = tf.max(
    tf.abs(tf.sub(tf.slice(states[0].h, [0, 0], [1, 8]), tf.slice(states[0].h, [1, 0], [1, 8]))),
  );
  assert.ok(d.dataSync()[0] > 1e-4);
  m.dispose();
});
