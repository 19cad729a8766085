import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { CompletionClient, CompletionQuery } from '../../src/completion/client';
import { completionOptions, NgramState, nextLookAt, RETRY_MS } from '../../src/completion/mixtureState';
import { CompletionToHost, isHostToCompletion } from '../../src/completion/protocol';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import { DEFAULT_NGRAM_ORDER } from '../../src/engine/completion/evaluate';
import { completionMixture } from '../../src/engine/completion/mixture';
import { CharNgramModel } from '../../src/engine/completion/ngram';
import { ngramSourceOf, readTrainingText } from '../../src/engine/completion/ngramSource';
import { DEFAULT_SUGGESTION_POLICY, MODEL_ALONE_MIN_CONFIDENCE } from '../../src/engine/completion/policy';
import { DEFAULT_TRAIN_CONFIG, ModelConfig } from '../../src/engine/config';
import { splitPlan } from '../../src/engine/corpus';
import { Completer, DEFAULT_COMPLETE_OPTIONS } from '../../src/engine/inference/completer';
import { FastInferenceModel } from '../../src/engine/inference/fastModel';
import { writeRunConfig } from '../../src/engine/runFolder';
import { CharTokenizer, tokenizerFromJSON } from '../../src/engine/tokenizers';
import { saveTestCheckpoint } from '../helpers/checkpoint';
import { tmpDir } from '../helpers/util';

// The bundles the extension ships (npm test builds them before the unit tests run).
const WORKER = path.resolve(__dirname, '../../../dist/completionWorker.js');
const PHRASE = 'the quick brown fox jumps over the lazy dog\n';
const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].map((n) => `${n}.txt`);
const marker = (name: string) => `marker ${name.replace('.txt', '').repeat(6)} end\n`;

/** A corpus folder and a run folder whose config.json records it, with one checkpoint of an untrained model. */
function runWithCorpus(valFraction = 0.1): { folder: string; ck: string; held: string[]; runDir: string } {
  const root = tmpDir();
  const folder = path.join(root, 'corpus');
  fs.mkdirSync(folder);
  for (const name of NAMES) fs.writeFileSync(path.join(folder, name), PHRASE.repeat(5) + marker(name));
  const runDir = path.join(root, '.seqlab', 'runs', 'run-1');
  const ck = path.join(runDir, 'checkpoints', 'step-10');
  const all = NAMES.map((n) => fs.readFileSync(path.join(folder, n), 'utf8')).join('');
  const config: ModelConfig = {
    cell: 'gru',
    activation: 'tanh',
    vocabSize: CharTokenizer.train([all]).vocabSize,
    embedding: 8,
    hidden: 24,
    layers: 1,
    dropout: 0,
  };
  saveTestCheckpoint(ck, config, all);
  writeRunConfig(runDir, {
    runId: 'run-1',
    folder,
    createdAt: new Date().toISOString(),
    train: { ...DEFAULT_TRAIN_CONFIG, valFraction },
    model: config,
    parent: null,
  });
  return { folder, ck, held: [...splitPlan(NAMES, valFraction).held], runDir };
}

const query = (ck: string, text: string, ngram?: boolean, docId = 'doc'): CompletionQuery => ({
  checkpoint: ck,
  docId,
  text,
  textStart: 0,
  // Ungated: an untrained model is sure of nothing, so the default threshold would show nothing either way.
  options: { ...DEFAULT_COMPLETE_OPTIONS, maxLength: 16, minConfidence: 0 },
  ngram,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Result = Extract<CompletionToHost, { type: 'result' }>;

async function result(client: CompletionClient, q: CompletionQuery): Promise<Result> {
  const r = await client.request(q);
  assert.equal(r.type, 'result', JSON.stringify(r));
  return r as Result;
}

test("the completion n-gram reads the run's training split only: a held-out file's text is not in it", () => {
  const { folder, held, ck } = runWithCorpus();
  assert.equal(held.length, 1, 'one file held out');
  const src = ngramSourceOf(ck, { kind: 'char' });
  assert.ok(src.ok, JSON.stringify(src));
  assert.equal(src.folder, folder);
  const t = readTrainingText(src.folder, src.options);
  assert.equal(t.trainFiles, NAMES.length - 1);
  assert.equal(t.files, NAMES.length - 1);
  assert.equal(t.capped, false);
  for (const name of NAMES)
    assert.equal(t.text.includes(marker(name)), !held.includes(name), `${name} (held out: ${held})`);
  // Counted: the held-out marker's context never reached the n-gram, a training one's did.
  const ngram = new CharNgramModel(t.text, DEFAULT_NGRAM_ORDER);
  const heldMarker = marker(held[0]);
  const trainMarker = marker(NAMES.find((n) => !held.includes(n))!);
  assert.ok(ngram.contextStats(heldMarker.slice(0, 12)).order < DEFAULT_NGRAM_ORDER);
  assert.equal(ngram.contextStats(trainMarker.slice(0, 12)).order, DEFAULT_NGRAM_ORDER);
});

test('the completion n-gram: over the cap, the most recently modified training files are kept', () => {
  const { folder, held, ck } = runWithCorpus();
  const train = NAMES.filter((n) => !held.includes(n));
  const size = fs.statSync(path.join(folder, train[0])).size;
  // The two newest training files fit under a cap of two and a half files.
  const newest = train.slice(-2);
  train.forEach((n, i) => {
    const t = new Date(Date.UTC(2020, 0, 1 + i));
    fs.utimesSync(path.join(folder, n), t, t);
  });
  const src = ngramSourceOf(ck, { kind: 'char' });
  assert.ok(src.ok);
  const t = readTrainingText(src.folder, src.options, Math.floor(size * 2.5));
  assert.equal(t.files, 2);
  assert.equal(t.capped, true);
  for (const name of train) assert.equal(t.text.includes(marker(name)), newest.includes(name), name);
});

test('the completion n-gram has no source for a missing folder, a checkpoint outside a run, or a word model', () => {
  const { folder, ck, runDir } = runWithCorpus();
  assert.match(JSON.stringify(ngramSourceOf(ck, { kind: 'bpe' })), /bpe tokenizer.*char tokenizer/);
  const loose = path.join(tmpDir(), 'ck');
  fs.cpSync(ck, loose, { recursive: true });
  const outside = ngramSourceOf(loose, { kind: 'char' });
  assert.ok(!outside.ok && /not in a run folder/.test(outside.why), JSON.stringify(outside));
  fs.rmSync(folder, { recursive: true });
  const gone = ngramSourceOf(ck, { kind: 'char' });
  assert.ok(!gone.ok);
  assert.match(gone.why, /no longer exists/);
  assert.equal(gone.where, path.join(runDir, 'config.json'));
  assert.match(gone.hint, /seqlab\.completion\.ngram/);
});

test('only a missing training folder may come back: its "no source" is transient and looked for again, the others never', () => {
  const { folder, ck } = runWithCorpus();
  const bpe = ngramSourceOf(ck, { kind: 'bpe' });
  const loose = path.join(tmpDir(), 'ck');
  fs.cpSync(ck, loose, { recursive: true });
  const outside = ngramSourceOf(loose, { kind: 'char' });
  fs.rmSync(folder, { recursive: true });
  const gone = ngramSourceOf(ck, { kind: 'char' });
  assert.ok(!bpe.ok && !outside.ok && !gone.ok);
  assert.deepEqual(
    [bpe.transient, outside.transient, gone.transient],
    [false, false, true],
    'bpe, loose, missing folder',
  );
  // The worker's decision follows the field, whatever the message says.
  assert.equal(nextLookAt(gone, 1000), 1000 + RETRY_MS);
  assert.equal(nextLookAt(outside, 1000), Infinity);
  assert.equal(nextLookAt({ ...gone, transient: false }, 1000), Infinity);
  assert.equal(nextLookAt({ ...outside, transient: true }, 1000), 1000 + RETRY_MS);
});

test('a training folder that came back but whose n-gram build fails is not rebuilt at every request', async () => {
  const { folder, ck } = runWithCorpus();
  const data = loadCheckpoint(ck);
  const m = {
    dir: ck,
    model: new FastInferenceModel(data.manifest.model, data.weights),
    tokenizer: tokenizerFromJSON(data.manifest.tokenizer),
    tokenizerJSON: data.manifest.tokenizer,
  };
  // A builder that fails as a folder with no readable text would; each start leaves a line.
  const starts = path.join(tmpDir(), 'starts');
  const builder = path.join(tmpDir(), 'failingBuilder.js');
  fs.writeFileSync(
    builder,
    `require('fs').appendFileSync(${JSON.stringify(starts)}, 'start\\n');\n` +
      `require('worker_threads').parentPort.postMessage({ type: 'failed', message: 'no text' });\n`,
  );
  const startCount = () =>
    fs.existsSync(starts) ? fs.readFileSync(starts, 'utf8').split('\n').length - 1 : 0;
  const told: string[] = [];
  const state = new NgramState(m, (_, message) => told.push(message), builder);
  const now = performance.now.bind(performance);
  let skew = 0;
  performance.now = () => now() + skew;
  try {
    fs.renameSync(folder, folder + '.away');
    assert.equal(state.completer(true).mixture, false);
    fs.renameSync(folder + '.away', folder);
    skew = RETRY_MS + 1000; // the folder is looked for again, found, and its build fails
    state.completer(true);
    for (let i = 0; i < 200 && !told.some((t) => /could not be built/.test(t)); i++) await sleep(25);
    assert.ok(
      told.some((t) => /could not be built/.test(t)),
      told.join(' | '),
    );
    for (let i = 0; i < 3; i++) {
      state.completer(true);
      await sleep(100);
    }
    skew += RETRY_MS + 1000;
    state.completer(true);
    await sleep(100);
    assert.equal(startCount(), 1, 'the failed build is final for this checkpoint, as without the retry');
  } finally {
    performance.now = now;
    state.stop();
    m.model.dispose();
  }
});

test("the model alone's default threshold applies only without the mixture, and only where the user has not set one", () => {
  const o = { ...DEFAULT_COMPLETE_OPTIONS, minConfidence: DEFAULT_SUGGESTION_POLICY.minConfidence };
  assert.equal(completionOptions(o, false, true).minConfidence, MODEL_ALONE_MIN_CONFIDENCE);
  assert.notEqual(MODEL_ALONE_MIN_CONFIDENCE, o.minConfidence);
  assert.deepEqual(completionOptions(o, false, true), { ...o, minConfidence: MODEL_ALONE_MIN_CONFIDENCE });
  assert.equal(completionOptions(o, true, true), o, 'the mixture keeps the default fitted for it');
  const mine = { ...o, minConfidence: 0.5 };
  assert.equal(completionOptions(mine, false, false), mine, "the user's value is never changed");
  assert.equal(completionOptions(mine, false, undefined), mine, 'a request that does not say: as given');
  const request = {
    type: 'complete',
    id: 1,
    checkpoint: 'ck',
    docId: 'd',
    text: '',
    textStart: 0,
    options: o,
  };
  assert.ok(isHostToCompletion({ ...request, defaultMinConfidence: true }));
  assert.ok(isHostToCompletion(request));
  assert.ok(!isHostToCompletion({ ...request, defaultMinConfidence: 'yes' }));
});

test("the completion worker switches to the model mixed with its run's n-gram once built; the setting turns it off", async () => {
  const { folder, ck } = runWithCorpus();
  const client = new CompletionClient(WORKER);
  const notices: string[] = [];
  client.on('notice', (level: string, m: string) => notices.push(`${level}: ${m}`));
  try {
    const data = loadCheckpoint(ck);
    const tok = tokenizerFromJSON(data.manifest.tokenizer);
    const model = new FastInferenceModel(data.manifest.model, data.weights);
    const src = ngramSourceOf(ck, data.manifest.tokenizer);
    assert.ok(src.ok);
    const ngram = new CharNgramModel(readTrainingText(src.folder, src.options).text, DEFAULT_NGRAM_ORDER);
    const prefix = PHRASE.repeat(2) + 'the quick brown f';
    const o = query(ck, prefix).options;
    const alone = new Completer(model, tok).complete('x', prefix, 0, o).items;
    const mixed = new Completer(completionMixture(model, tok, ngram), tok).complete('y', prefix, 0, o).items;
    assert.notDeepEqual(mixed, alone, 'the fixture tells the mixture from the model alone');
    assert.match(mixed[0] ?? '', /^ox jumps/, 'the n-gram knows the phrase');

    const first = await result(client, query(ck, prefix));
    assert.equal(first.mixture, false, 'the first suggestion does not wait for the n-gram');
    assert.deepEqual(first.items, alone);
    let r = first;
    for (let i = 0; i < 200 && !r.mixture; i++) {
      await sleep(50);
      r = await result(client, query(ck, prefix));
    }
    assert.equal(r.mixture, true, 'the mixture is in use once the n-gram is built');
    assert.deepEqual(r.items, mixed);
    assert.equal(notices.length, 1, notices.join('\n'));
    assert.match(notices[0], new RegExp(`^info: .*${DEFAULT_NGRAM_ORDER}-gram of .* characters of .*corpus`));

    const off = await result(client, query(ck, prefix, false));
    assert.equal(off.mixture, false, 'seqlab.completion.ngram off: the model alone');
    assert.deepEqual(off.items, alone);
    fs.rmSync(folder, { recursive: true });
    // On again: the n-gram is rebuilt, and its folder is gone now: the model alone, said once.
    for (let i = 0; i < 3; i++) {
      const again = await result(client, query(ck, prefix, true));
      assert.equal(again.mixture, false);
    }
    assert.equal(notices.length, 2, notices.join('\n'));
    assert.match(notices[1], /^warn: completion uses the model alone: .*no longer exists.*config\.json/);
  } finally {
    client.dispose();
  }
});

test("the completion worker drops the model alone's document states once the mixture is in use; with the n-gram off it reads the document again", async () => {
  const { ck } = runWithCorpus();
  const client = new CompletionClient(WORKER);
  try {
    const data = loadCheckpoint(ck);
    const tok = tokenizerFromJSON(data.manifest.tokenizer);
    const model = new FastInferenceModel(data.manifest.model, data.weights);
    const prefix = PHRASE + 'the quick brown f';
    const alone = new Completer(model, tok).complete('x', prefix, 0, query(ck, prefix).options).items;
    const first = await result(client, query(ck, prefix));
    assert.equal(first.mixture, false);
    assert.ok(first.syncSteps > 0, 'a new document is read');
    let r = first;
    for (let i = 0; i < 200; i++) {
      await sleep(50);
      r = await result(client, query(ck, prefix));
      if (r.mixture) break;
      assert.equal(r.syncSteps, 0, 'while the model alone is in use, its state is kept');
    }
    assert.equal(r.mixture, true, 'the mixture is in use once the n-gram is built');
    assert.equal(r.syncSteps, first.syncSteps, 'the mixture reads the document into states of its own');
    const off = await result(client, query(ck, prefix, false));
    assert.equal(off.mixture, false);
    assert.deepEqual(off.items, alone, 'the fallback to the model alone still completes');
    assert.equal(
      off.syncSteps,
      first.syncSteps,
      "the model alone's old state was dropped: it reads the document again",
    );
    const again = await result(client, query(ck, prefix, false));
    assert.equal(again.syncSteps, 0, 'and keeps its state from then on');
    assert.deepEqual(again.items, alone);
  } finally {
    client.dispose();
  }
});

test('the completion worker: a checkpoint outside a run folder completes with the model alone, said once', async () => {
  const { ck } = runWithCorpus();
  const loose = path.join(tmpDir(), 'ck');
  fs.cpSync(ck, loose, { recursive: true });
  const client = new CompletionClient(WORKER);
  const notices: string[] = [];
  client.on('notice', (level: string, m: string) => notices.push(`${level}: ${m}`));
  try {
    for (let i = 0; i < 3; i++)
      assert.equal((await result(client, query(loose, 'the quick'))).mixture, false);
    assert.equal(notices.length, 1, notices.join('\n'));
    assert.match(notices[0], /^warn: completion uses the model alone: the checkpoint is not in a run folder/);
  } finally {
    client.dispose();
  }
});
