import { Worker } from 'worker_threads';

/**
 * One helper thread running a wasm kernel on the same shared memory as the calling thread: the
 * training kernel's RowSplitter and the completion model both hand work over through it. A job is
 * an op number and up to MAX_ARGS int32 arguments in a control block of CTL_SLOTS int32s; the
 * caller runs its own share meanwhile, then waits. Neither side allocates per job, and between
 * jobs the helper sleeps in Atomics.wait (after spinning briefly, when asked to).
 */

/** The control block's slots. JOB: the job's sequence number (-1: quit); DONE: the last one done;
 * STATUS: 0 ok, 1 the job threw; HEARTBEAT: progress a long job reports (written by the kernel);
 * READY: 1 once the helper has instantiated the kernel. */
export const CTL = { JOB: 0, DONE: 1, STATUS: 2, HEARTBEAT: 3, OP: 4, ARGC: 5, READY: 6, ARGS: 8 } as const;
/** Size of the control block (int32 slots). */
export const CTL_SLOTS = 40;
export const MAX_ARGS = CTL_SLOTS - CTL.ARGS;

export interface HelperOptions {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /**
   * Source text run once in the helper after the kernel is instantiated: it must define
   * `run(op, args)` (args an Int32Array view of the arguments), and may use `k` (the kernel's
   * exports), `memory` and `workerData.data`.
   */
  setup: string;
  /** Byte offset of a control block the caller keeps reserved inside `memory`; else one is made. */
  ctlOffset?: number;
  /** How long the idle helper spins before sleeping (ms): 0 when jobs are far apart. */
  spinMs: number;
  /** Structured-cloneable data for `setup`, as workerData.data. */
  data?: unknown;
}

const loop = (setup: string, spinMs: number): string => `
const { workerData } = require('worker_threads');
const { module, memory, ctl } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
const c = typeof ctl === 'number' ? new Int32Array(memory.buffer, ctl, ${CTL_SLOTS}) : new Int32Array(ctl);
${setup}
Atomics.store(c, ${CTL.READY}, 1);
let seen = 0;
for (;;) {
  // Spin a little (the next job may come within microseconds; waking from a sleep costs ~0.1 ms),
  // then sleep until notified: an idle helper costs no CPU.
  const until = performance.now() + ${spinMs};
  for (let spins = 0; Atomics.load(c, ${CTL.JOB}) === seen; spins++)
    if ((spins & 1023) === 0 && performance.now() >= until) Atomics.wait(c, ${CTL.JOB}, seen);
  seen = Atomics.load(c, ${CTL.JOB});
  if (seen < 0) break;
  let status = 0;
  try {
    run(c[${CTL.OP}], c.subarray(${CTL.ARGS}, ${CTL.ARGS} + c[${CTL.ARGC}]));
  } catch (e) {
    status = 1;
  }
  Atomics.store(c, ${CTL.STATUS}, status);
  Atomics.store(c, ${CTL.DONE}, seen);
  Atomics.notify(c, ${CTL.DONE});
}
`;

/** How a wait for the helper's job ended. */
export type JobEnd = 'done' | 'failed' | 'abandoned';

export class HelperChannel {
  private seq = 0;
  private broken = false;

  private constructor(
    private readonly worker: Worker,
    private readonly ctl: Int32Array,
  ) {
    worker.on('error', () => (this.broken = true));
    worker.on('exit', () => (this.broken = true));
    // An idle helper must not keep a process alive.
    worker.unref();
  }

  /** Starts a helper; null when no worker can start (the caller then runs every job itself). */
  static start(o: HelperOptions): HelperChannel | null {
    try {
      const ctl =
        o.ctlOffset !== undefined
          ? new Int32Array(o.memory.buffer, o.ctlOffset, CTL_SLOTS)
          : new Int32Array(new SharedArrayBuffer(CTL_SLOTS * 4));
      ctl.fill(0);
      const worker = new Worker(loop(o.setup, o.spinMs), {
        eval: true,
        workerData: { module: o.module, memory: o.memory, ctl: o.ctlOffset ?? ctl.buffer, data: o.data },
      });
      return new HelperChannel(worker, ctl);
    } catch {
      return null;
    }
  }

  /** Whether a job can go to the helper now (it has started and has not failed or been stopped). */
  ready(): boolean {
    return !this.broken && Atomics.load(this.ctl, CTL.READY) === 1;
  }

  /** Whether the helper failed or was stopped: it will take no job again. */
  gone(): boolean {
    return this.broken;
  }

  /** Byte offset of the heartbeat slot (meaningful when the control block is inside the memory). */
  heartbeatOffset(): number {
    return this.ctl.byteOffset + CTL.HEARTBEAT * 4;
  }

  heartbeat(): number {
    return Atomics.load(this.ctl, CTL.HEARTBEAT);
  }

  /** Hands `op(args)` to the helper, which starts at once. */
  post(op: number, args: ArrayLike<number>): void {
    if (args.length > MAX_ARGS)
      throw new Error(`helper job ${op}: ${args.length} arguments, at most ${MAX_ARGS}`);
    const c = this.ctl;
    c[CTL.OP] = op;
    c[CTL.ARGC] = args.length;
    for (let i = 0; i < args.length; i++) c[CTL.ARGS + i] = args[i];
    Atomics.store(c, CTL.HEARTBEAT, 0);
    Atomics.store(c, CTL.JOB, ++this.seq);
    Atomics.notify(c, CTL.JOB);
  }

  /**
   * Waits for the posted job: spinning for `spinMs`, then sleeping in one-second slices, after
   * each of which `keepWaiting()` decides whether to go on. 'failed' (the job threw) and
   * 'abandoned' (keepWaiting said no) leave the channel broken: no further job goes to it.
   */
  wait(spinMs: number, keepWaiting: () => boolean): JobEnd {
    const c = this.ctl;
    const until = performance.now() + spinMs;
    for (let spins = 0; Atomics.load(c, CTL.DONE) !== this.seq; spins++) {
      if ((spins & 1023) !== 0 || performance.now() < until) continue;
      const done = Atomics.load(c, CTL.DONE);
      if (done === this.seq) break;
      if (Atomics.wait(c, CTL.DONE, done, 1000) !== 'timed-out' || Atomics.load(c, CTL.DONE) === this.seq)
        continue;
      if (!keepWaiting()) {
        this.broken = true;
        return 'abandoned';
      }
    }
    if (Atomics.load(c, CTL.STATUS) !== 0) {
      this.broken = true;
      return 'failed';
    }
    return 'done';
  }

  /** Stops the helper thread. */
  stop(): void {
    this.broken = true;
    Atomics.store(this.ctl, CTL.JOB, -1);
    Atomics.notify(this.ctl, CTL.JOB);
    void this.worker.terminate();
  }
}
