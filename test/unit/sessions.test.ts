import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_TRAIN_CONFIG, mergeConfig } from '../../src/engine/config';
import type { TrainEvent } from '../../src/engine/events';
import { trainTask } from '../../src/engine/tasks/registry';
import { SessionManager } from '../../src/training/sessionManager';
import { isWorkerToHost } from '../../src/training/workerProtocol';
import { fixture, sampleText, tmpDir } from '../helpers/util';

const WORKER = path.resolve(__dirname, '../../../dist/worker.js');
const tinyJob = (folder: string, steps: number) => ({
  kind: 'train' as const,
  folder,
  out: tmpDir(),
  config: mergeConfig(DEFAULT_TRAIN_CONFIG, {
    model: { hidden: 16, layers: 1, embedding: 8 },
    seqLen: 16,
    batch: 4,
    steps,
    evalEvery: 5,
    sampleLength: 10,
  }),
});

test('a training job runs in a worker thread and reports events; stop saves a checkpoint first', async () => {
  const m = new SessionManager(WORKER);
  const dir = fixture({ 'a.txt': sampleText(20000) });
  const s = m.start(tinyJob(dir, 100000));
  const events: TrainEvent[] = [];
  s.on('event', (e: TrainEvent) => {
    events.push(e);
    if (e.type === 'step' && e.step === 3) s.stop();
  });
  const o = await s.outcome;
  assert.equal(o.status, 'stopped');
  assert.ok(events.some((e) => e.type === 'start'));
  assert.equal(o.done?.reason, 'stopped');
  assert.ok(o.done?.checkpoint && fs.existsSync(path.join(o.done.checkpoint, 'manifest.json')));
  assert.equal(m.sessions.length, 0, 'finished sessions leave the manager');
});

test('a second job queued behind the first starts when the first ends', async () => {
  const m = new SessionManager(WORKER);
  const dir = fixture({ 'a.txt': sampleText(8000) });
  const a = m.start(tinyJob(dir, 4));
  const b = m.start(tinyJob(dir, 4), 'queue');
  assert.equal(b.status, 'queued');
  assert.equal(m.active().length, 1);
  let bStartedWhileARunning = false;
  b.on('change', () => {
    if (b.status === 'running' && a.status === 'running') bStartedWhileARunning = true;
  });
  assert.equal((await a.outcome).status, 'finished');
  assert.equal((await b.outcome).status, 'finished');
  assert.equal(bStartedWhileARunning, false);
});

test('a crashing worker fails the session with a message, without taking the host down', async () => {
  const dir = tmpDir();
  const crashing = path.join(dir, 'crash.js');
  fs.writeFileSync(crashing, 'throw new Error("boom in worker");');
  const m = new SessionManager(crashing);
  const o = await m.start(tinyJob(dir, 3)).outcome;
  assert.equal(o.status, 'failed');
  assert.equal(o.errorCode, 'E_WORKER_CRASH');
  assert.match(o.error!, /worker crashed: boom in worker/);
});

test('bad input inside the worker comes back as a failure naming the folder', async () => {
  const m = new SessionManager(WORKER);
  const empty = tmpDir();
  const o = await m.start(tinyJob(empty, 3)).outcome;
  assert.equal(o.status, 'failed');
  assert.match(o.error!, /No usable text in/);
  assert.ok(o.error!.includes(empty));
});

test('worker messages are validated: malformed ones are rejected', () => {
  assert.equal(isWorkerToHost({ type: 'event', event: { type: 'step' } }), true);
  assert.equal(isWorkerToHost({ type: 'finished' }), true);
  for (const bad of [
    null,
    3,
    'x',
    {},
    { type: 'event' },
    { type: 'event', event: 'x' },
    { type: 'evalResult', result: {} },
    { type: 'failed' },
    { type: 'nope' },
  ]) {
    assert.equal(isWorkerToHost(bad), false, JSON.stringify(bad));
  }
});

test('a forecast job in a worker passes on what reading the file found (an unusable time column) as log events', async () => {
  const rows = ['date,load'];
  for (let i = 0; i < 60; i++)
    rows.push(
      `${new Date(Date.UTC(2021, 0, 1 + i)).toISOString().slice(0, 10)},${(10 + Math.sin(i)).toFixed(3)}`,
    );
  const dir = tmpDir();
  const good = path.join(dir, 'load.csv');
  fs.writeFileSync(good, rows.join('\n') + '\n');
  const trained = await trainTask({
    folder: good,
    out: tmpDir(),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, {
      task: 'forecast',
      model: { hidden: 8, layers: 1 },
      batch: 4,
      steps: 2,
      evalEvery: 2,
      forecast: { target: 'load', window: 7, horizon: 2 },
    }),
  });
  const garbled = path.join(dir, 'garbled.csv');
  fs.writeFileSync(
    garbled,
    rows.map((r, i) => (i === 5 ? r.replace(/^[^,]*/, 'soon') : r)).join('\n') + '\n',
  );
  const m = new SessionManager(WORKER);
  const s = m.start({
    kind: 'forecast',
    checkpoint: trained.checkpoint!,
    file: garbled,
    steps: 2,
    backend: 'wasm',
  });
  const logs: string[] = [];
  s.on('event', (e: TrainEvent) => e.type === 'log' && logs.push(e.message));
  const o = await s.outcome;
  assert.equal(o.status, 'finished', o.error);
  assert.equal(o.text?.trim().split('\n').length, 3);
  assert.equal(logs.length, 1, logs.join('\n'));
  assert.match(logs[0], /time column "date" has a value that is not a date on line 6 \("soon"\)/);
});
