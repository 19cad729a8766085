import { Worker } from 'worker_threads';

/**
 * The helper thread: instantiates the cell kernel on the same (shared) memory, waits for a job
 * in the control block, runs it and signals done. A job is one export called with i32 arguments,
 * typically a layer's whole time loop for half of the batch rows, so there is one handoff per
 * layer and direction, not per timestep: waiting in Atomics.wait (no spinning) costs nothing
 * that matters and leaves the cores to XNNPACK's own threads between windows.
 * ctl (i32 slots): [0] job sequence (-1: quit), [1] done sequence, [2] status (0 ok, 1 threw),
 * [3] heartbeat (steps done, written by the kernel), [4] export index, [5] argument count,
 * [6] ready, [8..] arguments.
 */
const HELPER = `
const { workerData } = require('worker_threads');
const { module, memory, ctl, names } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
const c = new Int32Array(memory.buffer, ctl, CTL_SLOTS);
const fns = names.map((n) => k[n]);
Atomics.store(c, 6, 1);
let seen = 0;
for (;;) {
  Atomics.wait(c, 0, seen);
  seen = Atomics.load(c, 0);
  if (seen < 0) break;
  let status = 0;
  try {
    const args = [];
    for (let i = 0; i < c[5]; i++) args.push(c[8 + i]);
    fns[c[4]](...args);
  } catch (e) {
    status = 1;
  }
  Atomics.store(c, 2, status);
  Atomics.store(c, 1, seen);
  Atomics.notify(c, 1);
}
`;

/** Size of the control block (int32 slots) a caller reserves for a RowSplitter. */
export const CTL_SLOTS = 40;
const MAX_ARGS = CTL_SLOTS - 8;
/** Steps without progress (in seconds) after which a helper counts as gone. */
const STALL_S = 30;

/** The window exports a helper may run (by index, so a job is integers only). */
export const SPLIT_EXPORTS = [
  'lstm_fwd_seq',
  'gru_fwd_seq',
  'rnn_fwd_seq',
  'lstm_bwd_seq',
  'gru_bwd_seq',
  'rnn_bwd_seq',
  'gemm_kb',
] as const;
export type SplitExport = (typeof SPLIT_EXPORTS)[number];

/**
 * Runs a kernel job on two threads, each taking a contiguous half of a range: the batch rows of
 * a layer's time loop (independent sequences) or the column panels of a product. This thread
 * takes the first half, the helper the second. Every row or panel is computed by the same code
 * whichever thread runs it, so results are the same bits as on one thread. Used only on the
 * TF.js wasm backend's threaded build, whose heap is shared memory.
 */
export class RowSplitter {
  private seq = 0;
  private broken = false;

  private constructor(
    worker: Worker,
    private readonly ctl: Int32Array,
    private readonly fns: Record<string, (...args: number[]) => unknown>,
  ) {
    worker.on('error', () => (this.broken = true));
    worker.on('exit', () => (this.broken = true));
    // An idle helper must not keep a process alive.
    worker.unref();
  }

  /**
   * Starts a helper for `module` on `memory`, with its control block at byte offset `ctlPtr` of
   * that memory (CTL_SLOTS i32s the caller keeps reserved). Null when no worker can start.
   */
  static start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    ctlPtr: number,
    fns: Record<string, (...args: number[]) => unknown>,
  ): RowSplitter | null {
    try {
      const ctl = new Int32Array(memory.buffer, ctlPtr, CTL_SLOTS);
      ctl.fill(0);
      const worker = new Worker(HELPER.replace('CTL_SLOTS', String(CTL_SLOTS)), {
        eval: true,
        workerData: { module, memory, ctl: ctlPtr, names: [...SPLIT_EXPORTS] },
      });
      return new RowSplitter(worker, ctl, fns);
    } catch {
      return null;
    }
  }

  /** Byte offset of the heartbeat slot, for the helper's job (`prog` of the window exports). */
  heartbeatPtr(): number {
    return this.ctl.byteOffset + 3 * 4;
  }

  /** Whether a job can go to the helper now (it has started and has not failed). */
  ready(): boolean {
    return !this.broken && Atomics.load(this.ctl, 6) === 1;
  }

  /**
   * Calls `name(...args(r0, r1, prog))` for [0, rows) split in two. Without a ready helper, this
   * thread runs it all. Throws if the helper's half failed or it stopped making progress.
   */
  run(name: SplitExport, rows: number, args: (r0: number, r1: number, prog: number) => number[]): void {
    const fn = this.fns[name];
    if (rows < 2 || !this.ready()) {
      fn(...args(0, rows, 0));
      return;
    }
    const mid = rows >> 1;
    const theirs = args(mid, rows, this.heartbeatPtr());
    if (theirs.length > MAX_ARGS) throw new Error(`${name}: too many arguments for the helper`);
    const c = this.ctl;
    c[4] = SPLIT_EXPORTS.indexOf(name);
    c[5] = theirs.length;
    c.set(theirs, 8);
    Atomics.store(c, 3, 0);
    const seq = ++this.seq;
    Atomics.store(c, 0, seq);
    Atomics.notify(c, 0);
    fn(...args(0, mid, 0));
    this.join(seq, name);
  }

  private join(seq: number, name: string): void {
    const c = this.ctl;
    let last = -1;
    let stalled = 0;
    for (;;) {
      const done = Atomics.load(c, 1);
      if (done === seq) break;
      if (Atomics.wait(c, 1, done, 1000) !== 'timed-out') continue;
      const beat = Atomics.load(c, 3);
      stalled = beat === last ? stalled + 1 : 0;
      last = beat;
      if (stalled >= STALL_S) {
        this.broken = true;
        throw new Error(
          `The training helper thread made no progress on ${name} for ${STALL_S} s. ` +
            'Start the run again; set SEQLAB_WASM_THREADS=1 to train on one thread if it recurs.',
        );
      }
    }
    if (Atomics.load(c, 2) !== 0) {
      this.broken = true;
      throw new Error(
        `The training helper thread failed in ${name} (a kernel error). Set SEQLAB_WASM_THREADS=1 to train on one thread.`,
      );
    }
  }
}
