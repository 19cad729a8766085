import { HelperChannel } from './helperChannel';

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
 *
 * A job is one export (by index in SPLIT_EXPORTS) with i32 arguments, typically a layer's whole
 * time loop for half of the batch rows, so there is one handoff per layer and direction, not per
 * timestep: the helper sleeps between jobs (no spinning), leaving the cores to XNNPACK's threads.
 */
export class RowSplitter {
  private constructor(
    private readonly channel: HelperChannel,
    private readonly fns: Record<string, (...args: number[]) => unknown>,
  ) {}

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
    const channel = HelperChannel.start({
      module,
      memory,
      ctlOffset: ctlPtr,
      spinMs: 0,
      data: [...SPLIT_EXPORTS],
      setup: `const fns = workerData.data.map((n) => k[n]);\nconst run = (op, args) => fns[op](...args);`,
    });
    return channel && new RowSplitter(channel, fns);
  }

  /** Byte offset of the heartbeat slot, for the helper's job (`prog` of the window exports). */
  heartbeatPtr(): number {
    return this.channel.heartbeatOffset();
  }

  /** Whether a job can go to the helper now (it has started and has not failed). */
  ready(): boolean {
    return this.channel.ready();
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
    this.channel.post(SPLIT_EXPORTS.indexOf(name), args(mid, rows, this.heartbeatPtr()));
    fn(...args(0, mid, 0));
    let last = -1;
    let stalled = 0;
    const end = this.channel.wait(0, () => {
      const beat = this.channel.heartbeat();
      stalled = beat === last ? stalled + 1 : 0;
      last = beat;
      return stalled < STALL_S;
    });
    if (end === 'abandoned')
      throw new Error(
        `The training helper thread made no progress on ${name} for ${STALL_S} s. ` +
          'Start the run again; set SEQLAB_WASM_THREADS=1 to train on one thread if it recurs.',
      );
    if (end === 'failed')
      throw new Error(
        `The training helper thread failed in ${name} (a kernel error). Set SEQLAB_WASM_THREADS=1 to train on one thread.`,
      );
  }
}
