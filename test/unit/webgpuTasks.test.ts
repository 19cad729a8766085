import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_TRAIN_CONFIG, mergeConfig, TrainOverrides } from '../../src/engine/config';
import type { TrainEvent } from '../../src/engine/events';
import type { TaskKind } from '../../src/engine/tasks/kinds';
import { trainTask } from '../../src/engine/tasks/registry';
import { fixture, tmpDir } from '../helpers/util';
import { expectRunSurvivesGpuLoss, useSoftwareGpu } from '../helpers/gpu';

// The classifier, forecaster and translator on webgpu (SwiftShader here) against wasm: the same
// training losses and evaluations, step by step. Sizes are the smallest that exercise every path
// (a step, an evaluation with its decoding or forecasts, a checkpoint): SwiftShader is slow.
const noGpu = useSoftwareGpu('webgpu task tests');

type Kind = Exclude<TaskKind, 'lm'>;

function data(kind: Kind): string {
  if (kind === 'classify') {
    const files: Record<string, string> = {};
    for (let i = 0; i < 10; i++) {
      files[`pos/p${i}.txt`] = `it was good and fine ${'nice '.repeat(i % 3)}`;
      files[`neg/n${i}.txt`] = `it was bad and poor really ${'sad '.repeat(i % 2)}`;
    }
    return fixture(files);
  }
  const dir = tmpDir();
  if (kind === 'forecast') {
    const rows = Array.from({ length: 60 }, (_, i) => `${i},${(5 + 3 * Math.sin(i / 3)).toFixed(4)}`);
    fs.writeFileSync(path.join(dir, 'series.csv'), `t,y\n${rows.join('\n')}\n`);
    return path.join(dir, 'series.csv');
  }
  const w = ['ab', 'cd', 'ef', 'abc', 'fed', 'ca'];
  const pairs = Array.from({ length: 30 }, (_, i) => `${w[i % 6]} ${w[(i * 7) % 6]}\t${w[(i * 5) % 6]} x`);
  fs.writeFileSync(path.join(dir, 'pairs.tsv'), `${pairs.join('\n')}\n`);
  return path.join(dir, 'pairs.tsv');
}

const TINY: TrainOverrides = {
  model: { embedding: 8, hidden: 8, layers: 1, dropout: 0 },
  batch: 4,
  lr: 1e-2,
  steps: 2,
  evalEvery: 2,
  evalTokens: 64,
  sampleLength: 0,
  forecast: { target: 'y', window: 6, horizon: 2 },
  seq2seq: { bleuPairs: 3, labelSmoothing: 0 },
};

async function run(kind: Kind, folder: string, over: TrainOverrides, onEvent?: (e: TrainEvent) => void) {
  const events: TrainEvent[] = [];
  const result = await trainTask({
    folder,
    out: tmpDir(),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, TINY, { task: kind }, over),
    onEvent: (e) => {
      events.push(e);
      onEvent?.(e);
    },
  });
  const evals = events.filter((e) => e.type === 'eval').map((e) => (e as { valLoss: number }).valLoss);
  return { result, events, evals };
}

const close = (a: number, b: number) => Math.abs(a - b) < 2e-4 * Math.max(1, Math.abs(a));

for (const kind of ['classify', 'forecast', 'seq2seq'] as const)
  for (const cell of ['rnn', 'lstm', 'gru'] as const)
    test(
      `${kind}, ${cell}: webgpu trains with the losses and evaluations wasm gives`,
      { skip: noGpu },
      async () => {
        const folder = data(kind);
        const wasm = await run(kind, folder, { model: { cell }, backend: 'wasm' });
        const gpu = await run(kind, folder, { model: { cell }, backend: 'webgpu' });
        const logs = gpu.events
          .filter((e) => e.type === 'log')
          .map((e) => (e as { message: string }).message);
        assert.ok(
          logs.some((l) => /webgpu on .*swiftshader/i.test(l)),
          `no log line names the adapter: ${logs.join(' | ')}`,
        );
        assert.ok(logs.some((l) => /on webgpu the recurrent layers run as TF\.js ops/.test(l)));
        const start = gpu.events.find((e) => e.type === 'start') as { backend: string };
        assert.equal(start.backend, 'webgpu');
        assert.equal(gpu.result.losses.length, 2);
        gpu.result.losses.forEach((l, i) =>
          assert.ok(
            close(l, wasm.result.losses[i]),
            `step ${i + 1}: webgpu ${l}, wasm ${wasm.result.losses[i]}`,
          ),
        );
        assert.equal(gpu.evals.length, wasm.evals.length);
        assert.ok(gpu.evals.length > 0);
        gpu.evals.forEach((v, i) =>
          assert.ok(close(v, wasm.evals[i]), `eval ${i}: webgpu ${v}, wasm ${wasm.evals[i]}`),
        );
        assert.ok(fs.existsSync(path.join(gpu.result.checkpoint!, 'manifest.json')));
      },
    );

test(
  'a GPU lost mid-run in a classifier run ends it with a message and the checkpoint kept, not a hang',
  { skip: noGpu },
  async () => {
    await expectRunSurvivesGpuLoss((onEvent) =>
      run('classify', data('classify'), { backend: 'webgpu', steps: 50 }, onEvent),
    );
  },
);
