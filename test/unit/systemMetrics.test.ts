import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { SystemEvent } from '../../src/engine/events';
import { parseHostMessage, SeriesPatch } from '../../src/dashboard/protocol';
import { emptyPatch, patchFromJsonl } from '../../src/dashboard/series';
import { appendSystem, emptySystem, systemLines } from '../../src/dashboard/systemSeries';

const gpu = (index: number, util: number, mem: number) => ({
  index,
  utilPercent: util,
  memoryUsedMB: mem,
  memoryTotalMB: 80_000,
});

function sys(step: number, extra: Partial<SystemEvent> = {}): SystemEvent {
  return { type: 'system', time: step * 1000, step, cpuPercent: 90 + step, rssMB: 500 + step, ...extra };
}

const jsonl = (events: object[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n';

/** A run's metrics.jsonl with GPU samples: device 1 joins at the second sample, device 0 leaves at the third. */
const GPU_RUN = [
  sys(10, { gpuPercent: 40, gpus: [gpu(0, 40, 1000)] }),
  sys(20, { gpuPercent: 60, gpus: [gpu(0, 50, 1100), gpu(1, 70, 2000)] }),
  sys(30, { gpuPercent: 80, gpus: [gpu(1, 80, 2100)] }),
];

function seriesMessage(system: unknown): unknown {
  const p = emptyPatch('run', true) as unknown as Record<string, unknown>;
  return { type: 'series', patch: { ...p, system } };
}

test('system events with GPUs fold into per-device columns, gaps where a device was not sampled', () => {
  const p = patchFromJsonl('run', jsonl(GPU_RUN));
  assert.deepEqual(p.system?.step, [10, 20, 30]);
  assert.deepEqual(p.system?.cpu, [100, 110, 120]);
  assert.deepEqual(p.system?.gpus?.['0'].util, [40, 50, NaN]);
  assert.deepEqual(p.system?.gpus?.['0'].memMB, [1000, 1100, NaN]);
  assert.deepEqual(p.system?.gpus?.['1'].util, [NaN, 70, 80]);
  assert.deepEqual(p.system?.gpus?.['1'].memMB, [NaN, 2000, 2100]);
  // A CPU-only run has no GPU columns at all.
  assert.equal(patchFromJsonl('run', jsonl([sys(1), sys(2)])).system?.gpus, undefined);
});

test('a malformed GPU entry in metrics.jsonl is a gap or skipped, never a patch the webview refuses', () => {
  const odd = [
    sys(1, { gpus: [gpu(0, 10, 100)] }),
    { ...sys(2), gpus: [{ index: 0, utilPercent: 'n/a', memoryUsedMB: null }, { index: 'x' }, null] },
  ];
  const p = patchFromJsonl('run', jsonl(odd));
  assert.deepEqual(Object.keys(p.system?.gpus ?? {}), ['0']);
  assert.deepEqual(p.system?.gpus?.['0'].util, [10, NaN]);
  assert.deepEqual(p.system?.gpus?.['0'].memMB, [100, NaN]);
  assert.ok(parseHostMessage(JSON.parse(JSON.stringify({ type: 'series', patch: p }))));
});

test('live system samples appended to a held run equal the whole run read at once', () => {
  const whole = patchFromJsonl('run', jsonl(GPU_RUN)).system!;
  for (const cut of [1, 2]) {
    const have = patchFromJsonl('run', jsonl(GPU_RUN.slice(0, cut))).system ?? emptySystem();
    appendSystem(have, patchFromJsonl('run', jsonl(GPU_RUN.slice(cut))).system!);
    assert.deepEqual(have, whole, `split after ${cut}`);
  }
});

test('protocol: a series patch with GPU columns is accepted; malformed GPU columns are refused', () => {
  const ok = {
    step: [1, 2],
    cpu: [50, 60],
    rssMB: [100, 110],
    gpus: { '0': { util: [1, 2], memMB: [3, 4] } },
  };
  assert.ok(parseHostMessage(seriesMessage(ok)), 'well-formed');
  assert.ok(parseHostMessage(seriesMessage({ ...ok, gpus: undefined })), 'without GPUs');
  // Gaps cross as null (JSON) and are read back as NaN.
  const gaps = parseHostMessage(
    seriesMessage({ ...ok, gpus: { '0': { util: [null, 2], memMB: [3, null] } } }),
  );
  assert.ok(gaps?.type === 'series' && Number.isNaN(gaps.patch.system?.gpus?.['0'].util[0]));
  const bad: [string, unknown][] = [
    ['a column shorter than step', { '0': { util: [1], memMB: [3, 4] } }],
    ['a string figure', { '0': { util: [1, '2'], memMB: [3, 4] } }],
    ['a device key that is not a number', { gpu0: { util: [1, 2], memMB: [3, 4] } }],
    ['memory missing', { '0': { util: [1, 2] } }],
    ['not an object', [1, 2]],
  ];
  for (const [why, gpus] of bad)
    assert.equal(parseHostMessage(seriesMessage({ ...ok, gpus })), undefined, why);
});

test('the System chart draws each GPU’s utilisation and memory when the run recorded them', () => {
  const p: SeriesPatch = patchFromJsonl(
    'run',
    jsonl([
      {
        type: 'step',
        time: 1,
        step: 10,
        tokensSeen: 640,
        elapsedSeconds: 2,
        loss: 1,
        gradNorm: 1,
        clipped: false,
        lr: 1,
        tokensPerSec: 1,
        epoch: 0,
      },
      ...GPU_RUN,
    ]),
  );
  const lines = systemLines([{ label: 'A', color: '#f00', p }], { xAxis: 'step', ftAlign: 'relative' });
  assert.deepEqual(
    lines.map((l) => [l.label, l.kind, l.scale]),
    [
      ['A CPU %', 'cpu', 'cpu'],
      ['A MB', 'rss', 'mb'],
      ['A GPU 0 %', 'gpu', 'cpu'],
      ['A GPU 0 MB', 'gpuMem', 'mb'],
      ['A GPU 1 %', 'gpu', 'cpu'],
      ['A GPU 1 MB', 'gpuMem', 'mb'],
    ],
  );
  assert.deepEqual(lines[4].y, [NaN, 70, 80]);
  assert.deepEqual(lines[3].x, [10, 20, 30]);
  // Other x axes read the sample's step row; a step not held is NaN.
  const byTokens = systemLines([{ label: 'A', color: '#f00', p }], { xAxis: 'tokens', ftAlign: 'relative' });
  assert.deepEqual(byTokens[2].x, [640, NaN, NaN]);
  // A fine-tune aligned to its parent shifts every line by the parent's step.
  const ft = systemLines([{ label: 'A', color: '#f00', parentStep: 100, p }], {
    xAxis: 'step',
    ftAlign: 'parent',
  });
  assert.deepEqual(ft[5].x, [110, 120, 130]);
  // A CPU run: two lines, no GPU ones.
  const cpu = patchFromJsonl('run', jsonl([sys(1), sys(2)]));
  assert.deepEqual(
    systemLines([{ label: 'B', color: '#0f0', p: cpu }], { xAxis: 'step', ftAlign: 'relative' }).map(
      (l) => l.kind,
    ),
    ['cpu', 'rss'],
  );
});
