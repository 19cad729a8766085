import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fixture, sampleText, tmpDir } from '../helpers/util';

// Through the CLI, i.e. the bundle as shipped: the threaded backend is dist/tfjs-backend-wasm-mt.js,
// which `npm run build` makes from the pinned tfjs (scripts/build-tfjs-threads.mjs).
const CLI = path.resolve(__dirname, '../../../bin/seqlab.js');
const corpus = fixture({ 'a.txt': sampleText(20_000, 3), 'b.txt': sampleText(8_000, 4) });

interface Run {
  status: number | null;
  stderr: string;
  backend: string;
  losses: number[];
  logs: string[];
}

function trainWith(env: Record<string, string>, cell: string): Run {
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      'train',
      corpus,
      '--cell',
      cell,
      '--hidden',
      '64',
      '--layers',
      '2',
      '--seq-len',
      '32',
      '--batch',
      '8',
    ].concat(['--steps', '6', '--seed', '11', '--eval-every', '1000', '--json', '--out', tmpDir()]),
    { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 180_000 },
  );
  const events = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; backend?: string; loss?: number; message?: string });
  return {
    status: r.status,
    stderr: r.stderr,
    backend: events.find((e) => e.type === 'start')?.backend ?? '',
    losses: events.filter((e) => e.type === 'step').map((e) => e.loss!),
    logs: events.filter((e) => e.type === 'log').map((e) => e.message!),
  };
}

for (const cell of ['lstm', 'gru', 'rnn']) {
  test(`${cell}: two wasm threads give the same losses as one, and the run exits by itself`, () => {
    const two = trainWith({ SEQLAB_WASM_THREADS: '2' }, cell);
    const one = trainWith({ SEQLAB_WASM_THREADS: '1' }, cell);
    assert.equal(two.status, 0, two.stderr);
    assert.equal(one.status, 0, one.stderr);
    assert.equal(two.backend, 'wasm (2 threads)', 'the threaded backend started');
    assert.equal(one.backend, 'wasm');
    assert.equal(two.losses.length, 6);
    two.losses.forEach((l, i) =>
      assert.ok(
        Math.abs(l - one.losses[i]) <= 1e-4 * Math.abs(one.losses[i]),
        `step ${i + 1}: ${l} vs ${one.losses[i]}`,
      ),
    );
  });
}

test('a threaded backend that cannot load falls back to one thread, says why, and trains the same', () => {
  const broken = path.join(tmpDir(), 'tfjs-backend-wasm-mt.js');
  fs.writeFileSync(broken, 'throw new Error("simulated: this build is broken");\n');
  const fallback = trainWith({ SEQLAB_WASM_THREADS: '2', SEQLAB_WASM_MT_FILE: broken }, 'lstm');
  const missing = trainWith({ SEQLAB_WASM_THREADS: '2', SEQLAB_WASM_MT_FILE: '/nonexistent/mt.js' }, 'lstm');
  const one = trainWith({ SEQLAB_WASM_THREADS: '1' }, 'lstm');
  for (const [what, r, reason] of [
    ['broken', fallback, /simulated: this build is broken/],
    ['missing', missing, /\/nonexistent\/mt\.js not found/],
  ] as const) {
    assert.equal(r.status, 0, `${what}: ${r.stderr}`);
    assert.equal(r.backend, 'wasm', `${what}: one thread`);
    assert.ok(
      r.logs.some((m) => /wasm backend on one thread/.test(m) && reason.test(m)),
      `${what}: the reason is reported: ${JSON.stringify(r.logs)}`,
    );
    assert.deepEqual(r.losses, one.losses, `${what}: the same run as on one thread`);
  }
});
