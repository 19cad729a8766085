import * as fs from 'fs';
import type { TrainEvent, TrainEventListener } from '../events';
import { SeqLabError } from '../errors';
import {
  appendMetric,
  parseMetrics,
  readMetricsFile,
  readStatus,
  runPaths,
  updateStatus,
} from '../runFolder';
import type { TrainResult } from '../trainer';
import { launchTorch, TorchLaunchOptions, torchrunCommandLine, TorchProcess } from './launch';
import { prepareTorchRun, TorchPrepareOptions } from './prepare';
import { checkTorch, defaultPython, TorchInfo } from './python';

export interface TorchTrainOptions extends TorchPrepareOptions {
  python?: string;
  nproc?: number;
  nnodes?: number;
  rdzvEndpoint?: string;
  threads?: number;
  onEvent?: TrainEventListener;
  /** Every line torchrun and the ranks print. */
  onOutput?: (line: string) => void;
  /** Receives the process once launched, so that a Stop button can reach it. */
  onLaunch?: (p: TorchProcess) => void;
  /** Polled; true interrupts the ranks (checkpoint, then exit). */
  shouldStop?: () => boolean;
  /** Milliseconds from the interrupt to the kill. */
  stopGraceMs?: number;
  /** Test hook: environment for the ranks. */
  env?: NodeJS.ProcessEnv;
}

/** Follows metrics.jsonl as the ranks append to it: each complete new line once, in order. */
class MetricsTail {
  private offset: number;
  private partial = '';

  constructor(
    private readonly file: string,
    private readonly listener?: TrainEventListener,
  ) {
    this.offset = fs.existsSync(file) ? fs.statSync(file).size : 0;
  }

  poll(): void {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch {
      return;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= this.offset) return;
      const buf = Buffer.alloc(size - this.offset);
      fs.readSync(fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      const text = this.partial + buf.toString('utf8');
      const cut = text.lastIndexOf('\n') + 1;
      this.partial = text.slice(cut);
      for (const e of parseMetrics(text.slice(0, cut)).events) this.listener?.(e);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/**
 * Trains on the PyTorch engine: prepares the run (SeqLab's tokenizer, the shard, torch.json),
 * checks the interpreter, runs torchrun with the run locked by this process, and reports the
 * events the ranks write to metrics.jsonl as they come. Resolves like `train` does.
 */
export async function trainTorch(opts: TorchTrainOptions): Promise<TrainResult & { torch: TorchInfo }> {
  const python = opts.python || defaultPython();
  const info = checkTorch(python, opts.device === 'cuda');
  const prep = prepareTorchRun(opts);
  const { runDir } = prep;
  const metrics = runPaths(runDir).metrics;
  try {
    const tail = new MetricsTail(metrics, opts.onEvent);
    const several = (opts.nnodes ?? 1) > 1;
    const launch: TorchLaunchOptions = {
      python,
      runDir,
      nproc: opts.nproc ?? 1,
      nnodes: opts.nnodes,
      rdzvEndpoint: opts.rdzvEndpoint,
      device: opts.device,
      bf16: opts.bf16,
      threads: opts.threads,
      env: opts.env,
      onOutput: opts.onOutput,
      // Across machines the global rank 0 may run on another one: it takes the lock itself.
      lockPid: several ? null : undefined,
    };
    if (several) {
      prep.lock.release();
      opts.onOutput?.(`seqlab: on each other machine run: ${torchrunCommandLine(launch)}`);
    }
    const launchedAt = Date.now();
    const proc = launchTorch(launch);
    opts.onLaunch?.(proc);
    const timer = setInterval(() => {
      tail.poll();
      if (opts.shouldStop?.()) proc.stop(opts.stopGraceMs);
    }, 200);
    const exit = await proc.done.finally(() => clearInterval(timer));
    tail.poll();
    // An interrupt reaches torchrun too, which then exits non-zero though the ranks saved and
    // finished: the run folder, not the exit code, says how the run ended.
    if (exit.error && !endedSince(runDir, launchedAt)) {
      recordFailure(runDir, exit.error, opts.onEvent);
      throw exit.error;
    }
    return { ...resultOf(runDir), torch: info };
  } finally {
    prep.lock.release();
  }
}

/**
 * A rank that failed with a message (at start, or on a bad input) may not be rank 0, which
 * records failures: mark the run failed with that message. A run cut off by a lost process (a
 * rank killed) stays `running` with a dead pid, which the tree shows as interrupted, with Resume.
 */
function recordFailure(runDir: string, err: SeqLabError, listener?: TrainEventListener): void {
  if (err.code === 'E_TORCH_EXIT' || err.code === 'E_TORCH_PEER') return;
  const st = readStatus(runDir);
  if (st?.status === 'failed') return;
  const e: TrainEvent = { type: 'error', time: Date.now(), message: err.describe(), code: err.code };
  try {
    updateStatus(runDir, { status: 'failed', error: err.describe() });
    appendMetric(runPaths(runDir).metrics, e);
  } catch {
    // The caller still gets the error.
  }
  listener?.(e);
}

/** Whether status.json says the run finished or stopped after `since` (ms). */
function endedSince(runDir: string, since: number): boolean {
  const st = readStatus(runDir);
  return (st?.status === 'finished' || st?.status === 'stopped') && Date.parse(st.updatedAt) >= since;
}

function resultOf(runDir: string): TrainResult {
  const { events } = readMetricsFile(runPaths(runDir).metrics);
  const done = [...events].reverse().find((e) => e.type === 'done');
  const starts = events.filter((e) => e.type === 'start');
  const from = starts.length ? events.lastIndexOf(starts[starts.length - 1]) : 0;
  const losses = events.slice(from).flatMap((e) => (e.type === 'step' ? [e.loss] : []));
  if (!done || done.type !== 'done')
    throw new SeqLabError(
      'E_TORCH_EXIT',
      'The PyTorch engine exited without finishing the run',
      runDir,
      'See its output above; resume the run with seqlab resume.',
    );
  return {
    runDir,
    step: done.step,
    reason: done.reason,
    valLoss: done.valLoss,
    bpc: done.bpc,
    checkpoint: done.checkpoint,
    losses,
  };
}
