import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { CompletionClient, CompletionQuery } from '../../src/completion/client';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import { ModelConfig } from '../../src/engine/config';
import { Completer, DEFAULT_COMPLETE_OPTIONS } from '../../src/engine/inference/completer';
import { FastInferenceModel } from '../../src/engine/inference/fastModel';
import { CharTokenizer, tokenizerFromJSON } from '../../src/engine/tokenizers';
import { saveTestCheckpoint } from '../helpers/checkpoint';
import { tmpDir } from '../helpers/util';

// The bundle the extension ships (npm test builds it before the unit tests run).
const WORKER = path.resolve(__dirname, '../../../dist/completionWorker.js');
const TEXT = 'function add(a, b) {\n  return a + b;\n}\n';

function checkpoint(): string {
  const dir = path.join(tmpDir(), 'ck');
  const vocabSize = CharTokenizer.train([TEXT]).vocabSize;
  const config: ModelConfig = {
    cell: 'gru',
    activation: 'tanh',
    vocabSize,
    embedding: 8,
    hidden: 24,
    layers: 2,
    dropout: 0,
  };
  saveTestCheckpoint(dir, config, TEXT);
  return dir;
}

const query = (ck: string, text: string, docId = 'doc'): CompletionQuery => ({
  checkpoint: ck,
  docId,
  text,
  textStart: 0,
  options: { ...DEFAULT_COMPLETE_OPTIONS, maxLength: 16, multiline: true },
});

const never = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };

test('the completion worker answers with what the engine computes, and keeps state between requests', async () => {
  const ck = checkpoint();
  const client = new CompletionClient(WORKER);
  try {
    const data = loadCheckpoint(ck);
    const local = new Completer(
      new FastInferenceModel(data.manifest.model, data.weights),
      tokenizerFromJSON(data.manifest.tokenizer),
    );
    const want = local.complete('x', 'function a', 0, query(ck, '').options).items;
    const r = await client.request(query(ck, 'function a'));
    assert.equal(r.type, 'result');
    assert.deepEqual(r.type === 'result' && r.items, want);
    const next = await client.request(query(ck, 'function ad'));
    assert.equal(next.type === 'result' && next.syncSteps, 1, 'one typed character, one step');
  } finally {
    client.dispose();
  }
});

test('cancelled and superseded requests are dropped', async () => {
  const ck = checkpoint();
  const client = new CompletionClient(WORKER);
  try {
    await client.request(query(ck, 'f')); // loads the model
    let cancel: () => void = () => {};
    const token = {
      isCancellationRequested: false,
      onCancellationRequested: (l: () => void) => ((cancel = l), { dispose() {} }),
    };
    const a = client.request(query(ck, 'fu'), never);
    const b = client.request(query(ck, 'fun'), never);
    const c = client.request(query(ck, 'func', 'other'), token);
    cancel();
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    assert.equal(ra.type, 'dropped', 'superseded by a newer request for the same document');
    assert.equal(rb.type, 'result');
    assert.equal(rc.type, 'dropped', 'cancelled');
  } finally {
    client.dispose();
  }
});

test('a checkpoint deleted or damaged while in use is reported as such, not as a crash', async () => {
  const ck = checkpoint();
  const client = new CompletionClient(WORKER);
  try {
    assert.equal((await client.request(query(ck, 'f'))).type, 'result');
    const weights = fs.readdirSync(ck).find((f) => f.endsWith('.bin'))!;
    fs.appendFileSync(path.join(ck, weights), Buffer.from([1, 2, 3, 4]));
    fs.utimesSync(path.join(ck, 'manifest.json'), new Date(), new Date(Date.now() + 5000));
    const bad = await client.request(query(ck, 'fu'));
    assert.equal(bad.type === 'failed' && bad.failure, 'corrupt', JSON.stringify(bad));
    fs.rmSync(ck, { recursive: true });
    const gone = await client.request(query(ck, 'fun'));
    assert.equal(gone.type === 'failed' && gone.failure, 'gone', JSON.stringify(gone));
  } finally {
    client.dispose();
  }
});
