import { once } from 'node:events';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import * as assert from 'node:assert/strict';
import type { ModelConfig } from '../../src/engine/config';
import { FastInferenceModel } from '../../src/engine/inference/fastModel';
import { inspectionModel } from '../../src/engine/inspect/report';
import { inspectText } from '../../src/engine/inspect/inspectText';
import { traceTokens, type ModelTrace } from '../../src/engine/inspect/trace';
import { initWeights } from '../../src/engine/model/model';
import { CharTokenizer } from '../../src/engine/tokenizers';
import { sampleText } from '../helpers/util';

/** The same bits, not only equal values (-0 and 0 differ, NaN equals NaN). */
function sameBits(a: Float32Array | Int32Array, b: Float32Array | Int32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  const at = x.findIndex((v, i) => v !== y[i]);
  assert.ok(at < 0, `${what}: differs at element ${at >> 2} (${a[at >> 2]} vs ${b[at >> 2]})`);
}

function sameTrace(got: ModelTrace, want: ModelTrace, what: string): void {
  sameBits(got.tokens, want.tokens, `${what} tokens`);
  assert.equal(got.hidden.length, want.hidden.length, `${what}: layers`);
  got.hidden.forEach((h, l) => sameBits(h, want.hidden[l], `${what} h${l}`));
  assert.equal(got.cell.length, want.cell.length, `${what}: cell layers`);
  got.cell.forEach((c, l) => sameBits(c, want.cell[l], `${what} c${l}`));
  sameBits(got.surprisal, want.surprisal, `${what} surprisal`);
  sameBits(got.topIds, want.topIds, `${what} top-k ids`);
  sameBits(got.topProbs, want.topProbs, `${what} top-k probabilities`);
}

function configOf(c: Partial<ModelConfig>, vocabSize: number): ModelConfig {
  return {
    cell: 'lstm',
    activation: 'tanh',
    vocabSize,
    embedding: 6,
    hidden: 10,
    layers: 2,
    dropout: 0,
    ...c,
  };
}

/** A two-thread model whose helper has started, and a count of the blocks posted to it. */
async function twoThreads(
  config: ModelConfig,
  seed: number,
  blockSpinMs?: number,
): Promise<{ model: FastInferenceModel; posted: () => number }> {
  const model = new FastInferenceModel(config, initWeights(config, seed), { threads: 2, blockSpinMs });
  assert.ok(await model.helperStarted(), 'the helper thread starts');
  const helper = (model as unknown as { helper: { post(op: number, a: ArrayLike<number>): void } }).helper;
  const post = helper.post.bind(helper);
  let n = 0;
  helper.post = (op, a) => {
    n++;
    post(op, a);
  };
  return { model, posted: () => n };
}

/** A model's helper channel, with its own post and wait kept for a test that replaces them. */
function helperOf(model: FastInferenceModel) {
  const helper = (
    model as unknown as {
      helper: {
        post: (op: number, a: number[]) => void;
        wait: (spinMs: number, keepWaiting: () => boolean) => string;
      };
    }
  ).helper;
  return { helper, post: helper.post.bind(helper), wait: helper.wait.bind(helper) };
}

/** Traces `ids`, then the text edited at `at`, from the first trace: both with one model. */
function traceAndEdit(model: FastInferenceModel, ids: Int32Array, at: number): [ModelTrace, ModelTrace] {
  const first = traceTokens(model, ids);
  const edited = new Int32Array([
    ...ids.subarray(0, at),
    (ids[at] + 1) % model.config.vocabSize,
    ...ids.subarray(at),
  ]);
  return [first, traceTokens(model, edited, first)];
}

test('the two-thread trace equals the one-thread trace bit for bit, fresh and after an edit', async () => {
  const text = sampleText(333, 3); // 10 blocks of 32 and a part block of 13
  const tok = CharTokenizer.train([text]);
  const ids = tok.encode(text);
  const cases: Partial<ModelConfig>[] = [
    { cell: 'lstm', layers: 2 },
    { cell: 'lstm', layers: 1, hidden: 72 },
    { cell: 'lstm', layers: 3, hidden: 72 },
    { cell: 'gru', layers: 2, hidden: 12 },
    { cell: 'rnn', layers: 3, activation: 'relu' },
  ];
  for (const c of cases) {
    const config = configOf(c, tok.vocabSize);
    const what = `${config.cell} ${config.layers}×${config.hidden}`;
    const one = new FastInferenceModel(config, initWeights(config, 5));
    const { model: two, posted } = await twoThreads(config, 5);
    try {
      const [want, wantEdit] = traceAndEdit(one, ids, 150);
      const [got, gotEdit] = traceAndEdit(two, ids, 150);
      sameTrace(got, want, what);
      sameTrace(gotEdit, wantEdit, `${what}, after an edit`);
      assert.ok(posted() >= 11 + 6, `${what}: the helper ran the top layer's blocks (${posted()} posted)`);
      assert.equal(two.threads, 2, `${what}: the helper was not given up`);
    } finally {
      two.dispose();
    }
  }
});

test('on the reference shape (2×256 LSTM, vocabulary 96) two threads trace as one, bit for bit', async () => {
  const config: ModelConfig = configOf({ embedding: 64, hidden: 256 }, 96);
  const ids = Int32Array.from({ length: 301 }, (_, i) => (i * 37 + (i >> 2)) % 96);
  const one = new FastInferenceModel(config, initWeights(config, 8));
  // As the inspection model: neither thread spins for the other between blocks.
  const { model: two, posted } = await twoThreads(config, 8, 0);
  try {
    const [want, wantEdit] = traceAndEdit(one, ids, 170);
    const [got, gotEdit] = traceAndEdit(two, ids, 170);
    sameTrace(got, want, 'reference shape');
    sameTrace(gotEdit, wantEdit, 'reference shape, after an edit');
    assert.ok(posted() >= 10 + 5, `the helper ran the top layer's blocks (${posted()} posted)`);
  } finally {
    two.dispose();
  }
});

test('a helper that fails half-way through a block is given up, and the block is redone here from its start', async () => {
  const ids = Int32Array.from({ length: 150 }, (_, i) => (i * 5 + 1) % 40);
  for (const cell of ['lstm', 'gru'] as const) {
    const config = configOf({ cell, hidden: 16 }, 40);
    const one = new FastInferenceModel(config, initWeights(config, 4));
    const want = traceTokens(one, ids);
    const wantState = one.newState();
    one.advance(wantState, ids);
    for (const run of ['trace', 'advance'] as const) {
      const { model: two } = await twoThreads(config, 4);
      // The third block's job fails after it has advanced the top layer's state part of the way
      // (here: garbage in h and c), as a job that threw half-way would.
      const { helper, post, wait } = helperOf(two);
      const mem = (two as unknown as { mem: Float32Array }).mem;
      let jobs = 0;
      let failing = false;
      helper.post = (op, a) => {
        if (++jobs === 3) {
          failing = true;
          mem.fill(7.5, a[4] >> 2, (a[4] >> 2) + 16);
          mem.fill(-3, a[5] >> 2, (a[5] >> 2) + 16);
          return;
        }
        post(op, a);
      };
      helper.wait = () => (failing ? 'failed' : wait(20, () => false));
      try {
        if (run === 'trace') sameTrace(traceTokens(two, ids), want, `${cell} trace`);
        else {
          const s = two.newState();
          two.advance(s, ids);
          for (let l = 0; l < 2; l++) {
            sameBits(s.h[l], wantState.h[l], `${cell} advance h${l}`);
            sameBits(s.c[l], wantState.c[l], `${cell} advance c${l}`);
          }
        }
        assert.equal(jobs, 3, `${cell} ${run}: no job went to the failed helper`);
        assert.equal(two.threads, 1, `${cell} ${run}: the failed helper was given up`);
      } finally {
        two.dispose();
      }
    }
  }
});

test('a slow helper job is waited for as long as the model was told: 1 s by default, 10 s for the inspection model', async () => {
  const config = configOf({ cell: 'lstm', hidden: 16 }, 40);
  const ids = Int32Array.from({ length: 100 }, (_, i) => (i * 3 + 2) % 40);
  const want = traceTokens(new FastInferenceModel(config, initWeights(config, 6)), ids);
  const make = {
    default: () => new FastInferenceModel(config, initWeights(config, 6), { threads: 2 }),
    inspection: () => inspectionModel(config, initWeights(config, 6)) as FastInferenceModel,
  };
  for (const [name, patientSlices] of [
    ['default', 0],
    ['inspection', 9],
  ] as const) {
    const model = make[name]();
    assert.ok(await model.helperStarted(), 'the helper thread starts');
    // Each block's wait is told that 1-second slices went by without the job finishing: the
    // model says how many it lets pass before giving the helper up.
    const helper = (
      model as unknown as { helper: { wait: (spinMs: number, keepWaiting: () => boolean) => string } }
    ).helper;
    const wait = helper.wait.bind(helper);
    const allowed: number[] = [];
    helper.wait = (spinMs, keepWaiting) => {
      let n = 0;
      while (n < 20 && keepWaiting()) n++;
      allowed.push(n);
      return wait(spinMs, () => false);
    };
    try {
      sameTrace(traceTokens(model, ids), want, name);
      assert.ok(allowed.length > 0, `${name}: blocks went to the helper`);
      assert.deepEqual(new Set(allowed), new Set([patientSlices]), `${name}: slices waited past the first`);
    } finally {
      model.dispose();
    }
  }
});

test('a re-trace that takes over the previous trace equals a trace from scratch, in its buffers', () => {
  const text = sampleText(400, 7);
  const tok = CharTokenizer.train([text + 'Z']);
  const config = configOf({}, tok.vocabSize);
  const model = new FastInferenceModel(config, initWeights(config, 2));
  const fresh = (s: string) =>
    traceTokens(new FastInferenceModel(config, initWeights(config, 2)), tok.encode(s));
  const edits: [string, string][] = [
    ['a character typed in the middle', text.slice(0, 150) + 'Z' + text.slice(150)],
    ['a deletion', text.slice(0, 90) + text.slice(120)],
    ['text appended', text + 'Z'.repeat(40)],
    ['the same text', text],
    ['text outgrowing the buffers', text + text.repeat(3)],
  ];
  for (const [what, edited] of edits) {
    const before = traceTokens(model, tok.encode(text));
    const buffers = [...before.hidden, ...before.cell].map((a) => a.buffer);
    const again = traceTokens(model, tok.encode(edited), before, { takeOver: true });
    sameTrace(again, fresh(edited), what);
    const reused = [...again.hidden, ...again.cell].every((a, i) => a.buffer === buffers[i]);
    assert.equal(
      reused,
      edited.length <= text.length + 40,
      `${what}: the previous trace's buffers were reused`,
    );
    assert.equal(
      before.hidden.length + before.cell.length,
      0,
      `${what}: the previous trace gave its states up`,
    );
  }
  // The same through inspectText, as the editor calls it.
  const first = inspectText(model, tok, text);
  const edited = text.slice(0, 200) + 'Z' + text.slice(200);
  const second = inspectText(model, tok, edited, { previous: first, takeOver: true });
  sameTrace(second.trace, fresh(edited), 'inspectText');
});

test('a trace whose states were taken over is no longer a prefix to start from: the next trace recomputes all', () => {
  const text = sampleText(200, 4);
  const tok = CharTokenizer.train([text + 'Z']);
  const config = configOf({}, tok.vocabSize);
  const model = new FastInferenceModel(config, initWeights(config, 3));
  const fresh = (s: string) =>
    traceTokens(new FastInferenceModel(config, initWeights(config, 3)), tok.encode(s));
  const before = traceTokens(model, tok.encode(text));
  traceTokens(model, tok.encode(text + 'Z'), before, { takeOver: true });
  // `before` gave its states up: using it again must not continue from states it no longer has.
  const edited = text.slice(0, 120) + 'Z' + text.slice(120);
  sameTrace(traceTokens(model, tok.encode(edited), before), fresh(edited), 'from a taken-over trace');
  sameTrace(
    traceTokens(model, tok.encode(edited), before, { takeOver: true }),
    fresh(edited),
    'taking over a taken-over trace',
  );
});

/**
 * A thread writing NaN over `regions` (float offset, count) of `mem` until stopped, as a helper
 * given up while only starved of CPU may still write its job's results late. Returns once it
 * writes.
 */
function zombie(mem: Float32Array, regions: [number, number][]): { stop(): Promise<void> } {
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const w = new Worker(
    `const { workerData: d } = require('worker_threads');
     const mem = new Float32Array(d.buffer);
     const flags = new Int32Array(d.flags);
     do {
       for (const [at, n] of d.regions) mem.fill(NaN, at, at + n);
       Atomics.store(flags, 1, 1);
       Atomics.notify(flags, 1);
     } while (Atomics.load(flags, 0) === 0);`,
    { eval: true, workerData: { buffer: mem.buffer, flags: flags.buffer, regions } },
  );
  Atomics.wait(flags, 1, 0, 10_000);
  assert.equal(Atomics.load(flags, 1), 1, 'the late helper writes');
  return {
    stop: async () => {
      Atomics.store(flags, 0, 1);
      await once(w, 'exit');
    },
  };
}

/** What a helper job writes (float offset, count), from the op and arguments posted to it. */
function jobOutputs(op: number, a: number[], zRows: number): [number, number][] {
  if (op === 0) return [[a[2] >> 2, a[4]]]; // matvec: y's rows
  if (op === 1)
    return [
      [a[2] >> 2, a[4]],
      [a[3] >> 2, a[4]],
    ]; // LSTM gate math: c, h
  if (op === 2) return [[a[2] >> 2, a[3]]]; // GRU gate math: h
  const [m, hp] = [a[9], a[10]];
  const projFrom = a[13] ? a[15] : m;
  return [
    [(a[2] >> 2) + projFrom * zRows, (m - projFrom) * zRows], // its part of the projections
    [a[4] >> 2, hp], // h, c
    [a[5] >> 2, hp],
    [a[6] >> 2, zRows],
    [a[7] >> 2, m * hp], // hs, cs
    [a[8] >> 2, m * hp],
  ];
}

test('a helper given up while still working (starved of CPU, not dead) writes only where nothing is read again', async () => {
  const ids = Int32Array.from({ length: 640 }, (_, i) => (i * 7 + 3) % 40);
  // Big enough for step's products and gate math to be split between the threads.
  for (const cell of ['lstm', 'gru'] as const) {
    const config = configOf({ cell, hidden: 96 }, 40);
    const one = new FastInferenceModel(config, initWeights(config, 6));
    const want = traceTokens(one, ids);
    const wantState = one.newState();
    one.advance(wantState, ids);
    const stepped = one.newState();
    for (const id of ids.subarray(0, 60)) one.step(stepped, id);
    const wantLogits = one.logits(stepped);
    for (const run of ['trace', 'advance', 'step'] as const) {
      const { model: two } = await twoThreads(config, 6);
      const { helper, post, wait } = helperOf(two);
      const { mem, zRows } = two as unknown as { mem: Float32Array; zRows: number };
      // The third job is given up (as after patienceMs) while the helper goes on writing its
      // results for as long as the model runs.
      let jobs = 0;
      let late: { stop(): Promise<void> } | undefined;
      helper.post = (op, a) => {
        if (++jobs === 3) late = zombie(mem, jobOutputs(op, a, zRows));
        else post(op, a);
      };
      helper.wait = () => (late ? 'abandoned' : wait(20, () => false));
      try {
        if (run === 'trace') sameTrace(traceTokens(two, ids), want, `${cell} trace`);
        else if (run === 'advance') {
          const s = two.newState();
          two.advance(s, ids);
          for (let l = 0; l < 2; l++) {
            sameBits(s.h[l], wantState.h[l], `${cell} advance h${l}`);
            sameBits(s.c[l], wantState.c[l], `${cell} advance c${l}`);
          }
        } else {
          const s = two.newState();
          for (const id of ids.subarray(0, 60)) two.step(s, id);
          sameBits(two.logits(s), wantLogits, `${cell} step logits`);
        }
        assert.ok(late, `${cell} ${run}: a job was given up`);
        assert.equal(two.threads, 1, `${cell} ${run}: the helper was given up`);
      } finally {
        await late?.stop();
        two.dispose();
      }
    }
  }
});
