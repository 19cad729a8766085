import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import {
  checkpointName,
  checkpointStep,
  latestCheckpoint,
  listCheckpointEntries,
  newRunId,
  parseMetrics,
  parseRunId,
  pruneCheckpoints,
  readMetricsFile,
  runPaths,
  runTimeLabel,
  updateStatus,
} from '../../src/engine/runFolder';
import { tmpDir } from '../helpers/util';

test('metrics.jsonl: a torn or malformed line is skipped and reported, every complete line is kept', () => {
  const lines = [
    JSON.stringify({ type: 'start', time: 1 }),
    JSON.stringify({ type: 'step', time: 2, step: 1 }),
    '42',
    JSON.stringify({ type: 'step', time: 3, step: 2 }),
    '{"type":"step","time":4,"st',
  ];
  const r = parseMetrics(lines.join('\n'));
  assert.deepEqual(
    r.events.map((e) => e.type),
    ['start', 'step', 'step'],
  );
  assert.deepEqual(
    r.skipped.map((s) => [s.line, s.text]),
    [
      [3, '42'],
      [5, '{"type":"step","time":4,"st'],
    ],
  );
  assert.deepEqual(readMetricsFile(path.join(tmpDir(), 'missing.jsonl')), { events: [], skipped: [] });
});

test('run ids: new ids parse back into date, time and tag; a hand-named folder has no parts', () => {
  const at = new Date(2026, 0, 2, 3, 4, 5);
  const id = newRunId('gru', at);
  assert.match(id, /^20260102-030405-gru-[0-9a-f]{4}$/);
  assert.deepEqual(parseRunId(id), { date: '20260102', time: '030405', tag: 'gru', rest: id.slice(-4) });
  assert.equal(runTimeLabel(id), '030405');
  assert.equal(parseRunId(`${newRunId('compare', at)}-lstm`)?.tag, 'compare');
  assert.equal(parseRunId('my-run'), undefined);
  assert.equal(runTimeLabel('my-run'), 'my-run');
});

test('checkpoints: names, listing (with one being written), latest and pruning that keeps the best', () => {
  const runDir = tmpDir();
  const ck = runPaths(runDir).checkpoints;
  assert.equal(latestCheckpoint(runDir), undefined);
  for (const step of [5, 10, 15, 20]) {
    fs.mkdirSync(path.join(ck, checkpointName(step)), { recursive: true });
    fs.writeFileSync(path.join(ck, checkpointName(step), 'manifest.json'), '{}');
  }
  // Being written by a live process (this one); one left by a dead process is not listed.
  fs.mkdirSync(path.join(ck, `.tmp-step-00000025-${process.pid}-abcd`));
  fs.mkdirSync(path.join(ck, '.tmp-step-00000020-9-ffff-old'));
  fs.mkdirSync(path.join(ck, 'step-00000030')); // no manifest: not a usable checkpoint
  assert.equal(checkpointName(7), 'step-00000007');
  assert.equal(checkpointStep('step-00000007'), 7);
  assert.equal(checkpointStep('.tmp-step-00000007'), undefined);
  assert.deepEqual(
    listCheckpointEntries(runDir).map((c) => [c.name, c.step, c.inProgress]),
    [
      ['step-00000030', 30, false],
      ['step-00000025', 25, true],
      ['step-00000020', 20, false],
      ['step-00000015', 15, false],
      ['step-00000010', 10, false],
      ['step-00000005', 5, false],
    ],
  );
  assert.equal(latestCheckpoint(runDir), path.join(ck, 'step-00000020'));
  updateStatus(runDir, { status: 'running', best: 'step-00000005' });
  pruneCheckpoints(runDir, 2);
  assert.deepEqual(
    fs
      .readdirSync(ck)
      .filter((n) => n.startsWith('step-'))
      .sort(),
    ['step-00000005', 'step-00000020', 'step-00000030'],
  );
});
