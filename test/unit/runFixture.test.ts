import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { initBackend } from '../../src/engine/wasm/backend';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import { DEFAULT_TRAIN_CONFIG, mergeConfig } from '../../src/engine/config';
import type { TrainEvent } from '../../src/engine/events';
import { train } from '../../src/engine/trainer';
import { patchFromJsonl } from '../../src/dashboard/series';
import { listRuns } from '../../src/runs/runStore';
import { tmpDir } from '../helpers/util';

// A run folder written by SeqLab 0.1.0 (test/fixtures/run-v0.1): every later version must still
// list it, read its metrics, resume it and fine-tune from it.
const REPO = path.resolve(__dirname, '../../..');
const FIXTURE = path.join(REPO, 'test/fixtures/run-v0.1');
const RUN_ID = '20261130-044035-lstm-2ae1';
const CORPUS = path.join(REPO, 'test/fixtures/corpus');

before(async () => {
  await initBackend('wasm');
});

/** A copy of the fixture run under `<root>/.seqlab/runs`, its corpus pointed at the repository's. */
function copyFixture(): { root: string; runDir: string } {
  const root = tmpDir();
  const runDir = path.join(root, '.seqlab', 'runs', RUN_ID);
  fs.cpSync(path.join(FIXTURE, RUN_ID), runDir, { recursive: true });
  const file = path.join(runDir, 'config.json');
  const cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.writeFileSync(file, JSON.stringify({ ...cfg, folder: CORPUS }, null, 2));
  return { root, runDir };
}

test('a 0.1 run folder is listed with its config, state and checkpoints', () => {
  const { root } = copyFixture();
  const runs = listRuns(root);
  assert.equal(runs.length, 1);
  const r = runs[0];
  assert.equal(r.id, RUN_ID);
  assert.equal(r.state, 'finished');
  assert.equal(r.error, undefined);
  assert.equal(r.config?.model.hidden, 8);
  assert.equal(r.config?.model.cell, 'lstm');
  assert.deepEqual(
    r.checkpoints.map((c) => [c.name, c.step, c.isLatest, c.isBest, c.error]),
    [
      ['step-00000010', 10, true, true, undefined],
      ['step-00000005', 5, false, false, undefined],
    ],
  );
});

test("a 0.1 run's metrics.jsonl reads into the dashboard's series", () => {
  const { runDir } = copyFixture();
  const p = patchFromJsonl(runDir, fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8'));
  assert.deepEqual(p.steps.step, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(p.evals.step, [5, 10]);
  assert.equal(p.checkpoints.length, 2);
});

test('a 0.1 run resumes from its latest checkpoint and appends to its metrics', async () => {
  const { runDir } = copyFixture();
  const events: TrainEvent[] = [];
  const r = await train({
    folder: '',
    resume: runDir,
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, { steps: 13 }),
    onEvent: (e) => events.push(e),
  });
  assert.equal(r.step, 13);
  assert.equal(r.losses.length, 3);
  const start = events.find((e) => e.type === 'start');
  assert.equal(start?.type === 'start' && start.resumedFromStep, 10);
  const steps = fs
    .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === 'step')
    .map((e) => e.step);
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  assert.equal(loadCheckpoint(r.checkpoint!).manifest.step, 13);
});

test('a 0.1 checkpoint fine-tunes into a new run that names it as parent', async () => {
  const { runDir } = copyFixture();
  const ck = path.join(runDir, 'checkpoints', 'step-00000005');
  const r = await train({
    folder: CORPUS,
    out: tmpDir(),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, { steps: 3, evalEvery: 1000, seqLen: 16, batch: 4 }),
    finetune: { checkpoint: ck, addLayer: true },
  });
  assert.equal(r.step, 3);
  const out = loadCheckpoint(r.checkpoint!);
  assert.equal(out.manifest.model.layers, 2);
  assert.equal(out.manifest.model.hidden, 8);
  assert.equal(out.manifest.parent?.checkpoint, ck);
  assert.equal(out.manifest.parent?.run, RUN_ID);
});
