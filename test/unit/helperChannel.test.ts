import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { CTL_SLOTS, HelperChannel, MAX_ARGS } from '../../src/engine/wasm/helperChannel';
import { KERNEL_WASM_BASE64 } from '../../src/engine/wasm/inferenceKernelWasm';

/**
 * The helper-thread channel on its own: a helper whose jobs are written here (op 0 adds two
 * numbers into the shared memory, op 1 throws, op 2 hangs), so that each way a job can end is seen.
 */
const SETUP = `
const heap = new Int32Array(memory.buffer);
const run = (op, a) => {
  if (op === 0) heap[a[0]] = a[1] + a[2];
  else if (op === 1) throw new Error('boom');
  else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10000);
};
`;

async function started(ctlOffset?: number): Promise<{ channel: HelperChannel; heap: Int32Array }> {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const module = new WebAssembly.Module(Buffer.from(KERNEL_WASM_BASE64, 'base64'));
  const channel = HelperChannel.start({
    module,
    memory,
    setup: SETUP,
    spinMs: 1,
    ...(ctlOffset ? { ctlOffset } : {}),
  });
  assert.ok(channel, 'the helper starts');
  for (let i = 0; i < 200 && !channel.ready(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(channel.ready(), 'the helper reports ready');
  return { channel, heap: new Int32Array(memory.buffer) };
}

test('a job posted to the helper runs there, with its control block in the shared memory or beside it', async () => {
  for (const ctlOffset of [undefined, 4096]) {
    const { channel, heap } = await started(ctlOffset);
    for (let i = 0; i < 3; i++) {
      channel.post(0, [100 + i, 20, i]);
      assert.equal(
        channel.wait(0, () => true),
        'done',
      );
      assert.equal(heap[100 + i], 20 + i);
    }
    if (ctlOffset) assert.equal(channel.heartbeatOffset(), ctlOffset + 3 * 4);
    assert.ok(channel.ready());
    channel.stop();
    assert.equal(channel.ready(), false, 'a stopped helper takes no more jobs');
  }
});

test('a job that throws in the helper ends as failed, and the channel takes no more jobs', async () => {
  const { channel } = await started();
  channel.post(1, []);
  assert.equal(
    channel.wait(0, () => true),
    'failed',
  );
  assert.equal(channel.ready(), false);
  channel.stop();
});

test('a helper that does not answer is abandoned when the caller stops waiting', async () => {
  const { channel } = await started();
  let asked = 0;
  channel.post(2, []);
  const t0 = Date.now();
  const end = channel.wait(0, () => ++asked < 2);
  assert.equal(end, 'abandoned');
  assert.equal(asked, 2, 'asked once per second of silence');
  assert.ok(Date.now() - t0 >= 1900, 'waited two one-second slices');
  assert.equal(channel.ready(), false);
  channel.stop();
});

test('a job with more arguments than the control block holds is refused before it is posted', async () => {
  const { channel } = await started();
  assert.equal(MAX_ARGS, CTL_SLOTS - 8);
  assert.throws(() => channel.post(0, new Array(MAX_ARGS + 1).fill(0)), /at most 32/);
  assert.ok(channel.ready(), 'the refused job left the helper usable');
  channel.stop();
});
