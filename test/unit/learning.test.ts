import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { initBackend } from '../../src/engine/wasm/backend';
import { DEFAULT_TRAIN_CONFIG, mergeConfig, TrainOverrides } from '../../src/engine/config';
import { train } from '../../src/engine/trainer';
import { tmpDir } from '../helpers/util';

before(async () => {
  await initBackend('wasm');
});

// Real text, frozen: SeqLab's README and changelog as of when this test was written (prose, code
// blocks and tables). A copy, not the live files, so that editing the docs or the engine cannot
// change what the models learn from and flip the comparison.
const CORPUS = path.resolve(__dirname, '../../../test/fixtures/learning');

test('on real text, an LSTM beats a vanilla RNN of about equal parameter count after the same steps', async () => {
  const common: TrainOverrides = {
    seqLen: 64,
    batch: 16,
    lr: 1e-2,
    steps: 400,
    evalEvery: 400,
    evalTokens: 16384,
    sampleLength: 0,
    seed: 3,
    include: ['**/*.md'],
  };
  const params: Record<string, number> = {};
  const val: Record<string, number> = {};
  // 1×LSTM 96 ≈ 61k parameters; 1×RNN 184 ≈ 61k.
  for (const [cell, hidden] of [
    ['lstm', 96],
    ['rnn', 184],
  ] as const) {
    const r = await train({
      folder: CORPUS,
      out: tmpDir(),
      config: mergeConfig(DEFAULT_TRAIN_CONFIG, common, {
        model: { cell, hidden, layers: 1, embedding: 32 },
      }),
      onEvent: (e) => {
        if (e.type === 'start') params[cell] = e.parameters;
      },
    });
    val[cell] = r.valLoss!;
  }
  const ratio = params.rnn / params.lstm;
  assert.ok(ratio > 0.9 && ratio < 1.1, `parameter counts ${JSON.stringify(params)}`);
  console.log(
    `# validation loss after 400 steps: lstm ${val.lstm.toFixed(3)}, rnn ${val.rnn.toFixed(3)} (margin ${(val.rnn - val.lstm).toFixed(3)} nats)`,
  );
  assert.ok(val.lstm < val.rnn - 0.05, `lstm ${val.lstm} vs rnn ${val.rnn}`);
});
