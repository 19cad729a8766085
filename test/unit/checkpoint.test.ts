import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/wasm/backend';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import { ModelConfig } from '../../src/engine/config';
import { SeqLabError } from '../../src/engine/errors';
import { InferenceModel } from '../../src/engine/inference/stepModel';
import { FastInferenceModel } from '../../src/engine/inference/fastModel';
import { LayerState } from '../../src/engine/model/layers';
import { LanguageModel } from '../../src/engine/model/model';
import { saveTestCheckpoint } from '../helpers/checkpoint';
import { tmpDir } from '../helpers/util';

before(async () => {
  await initBackend('wasm');
});

/** A vocabulary-8 model small enough that checkpoints are a few kilobytes. */
function small(cell: ModelConfig['cell'], embedding: number, hidden: number, layers: number): ModelConfig {
  return { cell, activation: 'tanh', vocabSize: 8, embedding, hidden, layers, dropout: 0 };
}

function save(dir: string, config: ModelConfig) {
  return saveTestCheckpoint(dir, config, 'abcdefg');
}

for (const cell of ['lstm', 'gru', 'rnn'] as const) {
  test(`${cell}: save → load gives identical logits, and the JS and wasm SIMD inference paths match TF.js within 1e-4`, () => {
    const config = small(cell, 6, 10, 2);
    const dir = path.join(tmpDir(), 'ck');
    const original = new LanguageModel(config, save(dir, config));
    const loaded = loadCheckpoint(dir);
    assert.equal(loaded.manifest.step, 1);
    assert.equal(loaded.optimizer[0].data[3], 0.5);
    const restored = new LanguageModel(loaded.manifest.model, loaded.weights);
    const ids = Int32Array.from([1, 2, 3, 4, 5, 6, 7, 1, 2, 3]);
    const T = 10;
    const run = (m: LanguageModel) => {
      const final: LayerState[] = [];
      const s = m.zeroState(1);
      const out = m.logits(ids, T, 1, s, final).dataSync();
      return out;
    };
    const a = run(original);
    const b = run(restored);
    assert.deepEqual(Array.from(a), Array.from(b));
    for (const fast of [
      new InferenceModel(config, loaded.weights),
      new FastInferenceModel(config, loaded.weights),
    ]) {
      const st = fast.newState();
      let maxDiff = 0;
      for (let t = 0; t < T; t++) {
        fast.step(st, ids[t]);
        const l = fast.logits(st);
        for (let v = 0; v < config.vocabSize; v++)
          maxDiff = Math.max(maxDiff, Math.abs(l[v] - a[t * config.vocabSize + v]));
      }
      assert.ok(maxDiff < 1e-4, `${fast.constructor.name} differs by ${maxDiff}`);
    }
    original.dispose();
    restored.dispose();
  });
}

test('a checkpoint is written atomically: no temporary folders remain, and overwriting keeps a whole one', () => {
  const config = small('lstm', 4, 4, 1);
  const parent = tmpDir();
  const dir = path.join(parent, 'ck');
  save(dir, config);
  save(dir, config);
  assert.deepEqual(fs.readdirSync(parent), ['ck']);
  assert.doesNotThrow(() => loadCheckpoint(dir));
});

function expectCheckpointError(dir: string, file: RegExp, what: RegExp) {
  assert.throws(
    () => loadCheckpoint(dir),
    (e: unknown) => e instanceof SeqLabError && file.test(e.message) && what.test(e.message),
  );
}

test('truncated, corrupt, missing or mismatched files fail with an error naming the file', () => {
  const config = small('gru', 4, 4, 1);
  const fresh = () => {
    const dir = path.join(tmpDir(), 'ck');
    save(dir, config);
    return dir;
  };
  let dir = fresh();
  const bin = path.join(dir, 'weights.bin');
  fs.writeFileSync(bin, fs.readFileSync(bin).subarray(0, 100));
  expectCheckpointError(dir, /weights\.bin/, /truncated/);

  dir = fresh();
  const buf = fs.readFileSync(path.join(dir, 'weights.bin'));
  buf[10] ^= 0xff;
  fs.writeFileSync(path.join(dir, 'weights.bin'), buf);
  expectCheckpointError(dir, /weights\.bin/, /corrupt/);

  dir = fresh();
  fs.writeFileSync(path.join(dir, 'manifest.json'), '{"format": "seqlab-checkpoint", "vers');
  expectCheckpointError(dir, /manifest\.json/, /not valid JSON/);

  dir = fresh();
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  m.version = 99;
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
  assert.throws(
    () => loadCheckpoint(dir),
    (e: unknown) => e instanceof SeqLabError && e.code === 'E_CHECKPOINT_VERSION',
  );

  dir = fresh();
  const m2 = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  m2.model.hidden = 5;
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m2));
  expectCheckpointError(dir, /weights\.json/, /shape/);

  dir = fresh();
  fs.rmSync(path.join(dir, 'optimizer.bin'));
  expectCheckpointError(dir, /optimizer\.bin/, /missing/);

  expectCheckpointError(path.join(tmpDir(), 'nope'), /nope/, /not found/);
  tf.disposeVariables();
});
