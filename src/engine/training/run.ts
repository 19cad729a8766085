import * as os from 'os';
import * as path from 'path';
import type { ParentRef } from '../checkpoint';
import type { ModelConfig, TrainConfig } from '../config';
import { describeError, SeqLabError } from '../errors';
import type { StartEvent, TrainEventListener } from '../events';
import { fitsTrainingKernel } from '../model/shapes';
import type { Optimizer } from '../optim';
import {
  acquireRunLock,
  createRunDir,
  lockForResume,
  newRunId,
  RunLock,
  RunRecorder,
  runsRootFor,
  writeRunConfig,
} from '../runFolder';
import type { BackendInfo } from '../wasm/backend';
import { isWasmBackend } from '../wasm/backendNames';
import type { LoopCounters } from './counters';
import { LoopResult, TrainingLoop } from './loop';
import type { Task } from './task';

/** What every task's trainer reads from its options the same way (TrainOptions has all of it). */
export interface RunOptions {
  /** Where `.seqlab/runs` goes; default: beside the data (the trained folder or file). */
  out?: string;
  runId?: string;
  /** Written to config.json: runs of one experiment (compare cells, a sweep) share it. */
  group?: string;
  /** Continue this run folder from its newest checkpoint that loads (or from `resumeFrom`). */
  resume?: string;
  /** With `resume`: the checkpoint to continue from (its folder, or its name `step-…`). */
  resumeFrom?: string;
  onEvent?: TrainEventListener;
  /** Polled between steps; true stops the run after saving a checkpoint. */
  shouldStop?: () => boolean;
}

export interface TrainResult extends LoopResult {
  runDir: string;
}

/** A new run: where its folder goes and what its config.json records. */
export interface NewRun {
  /** The data the run trains on (its runs go beside it unless `out` says otherwise). */
  folder: string;
  /** The tag of the run id after its date and time (`lstm`, `s2s-gru`, …). */
  tag: string;
  recorded: TrainConfig;
  model: ModelConfig;
  parent: ParentRef | null;
}

/** What a task reports at the start besides what the run knows (its id, folder and backend). */
export type StartFields = Omit<StartEvent, 'type' | 'time' | 'runId' | 'runDir' | 'backend'>;

/**
 * One training run, whatever the task: the resume lock, the run folder, the start event and log,
 * the loop, and on the way out the failure record and the disposal of what the task made. Every
 * task's trainer runs inside `withTrainingRun`, so these happen in one order for all of them.
 */
export class TrainingRun {
  readonly recorder: RunRecorder;
  /** Lines for the run's log gathered before it has a folder (what a resume repaired). */
  readonly notes: string[] = [];
  private lock?: RunLock;
  private readonly disposers: (() => void)[] = [];
  private dir = '';

  constructor(private readonly o: RunOptions) {
    this.recorder = new RunRecorder(o.onEvent);
  }

  /** A resumed run is locked (and repaired) before anything reads its checkpoints. */
  begin(): void {
    if (this.o.resume) this.lock = lockForResume(this.o.resume, this.notes);
  }

  /** The checkpoint to resume from, when the options name a run. */
  get resume(): { run: string; from?: string } | undefined {
    return this.o.resume ? { run: this.o.resume, from: this.o.resumeFrom } : undefined;
  }

  get runDir(): string {
    return this.dir;
  }

  /** `dispose` runs when the run ends, the last registered first, before the lock is released. */
  own<T extends { dispose(): void }>(thing: T): T {
    this.disposers.push(() => thing.dispose());
    return thing;
  }

  /**
   * The run's folder (a resumed run's own, else a new one with its config.json), locked, with the
   * recorder writing into it and the status saying it runs.
   */
  open(resumedDir: string | undefined, fresh: () => NewRun, step: number): string {
    this.dir = resumedDir ?? openNewRun(this.o, fresh());
    this.lock ??= acquireRunLock(this.dir);
    this.recorder.attach(this.dir);
    this.recorder.status({ status: 'running', pid: process.pid, step });
    return this.dir;
  }

  /** The start event, then the log lines that explain the run (notes first). */
  start(backend: BackendInfo, fields: StartFields, log: readonly string[]): void {
    this.recorder.emit({
      type: 'start',
      time: Date.now(),
      runId: path.basename(this.dir),
      runDir: this.dir,
      backend: backend.threads > 1 ? `${backend.name} (${backend.threads} threads)` : backend.name,
      ...fields,
    });
    for (const message of [...this.notes, ...log])
      this.recorder.emit({ type: 'log', time: Date.now(), message });
  }

  /** Trains `task` in the task-independent loop until a budget, a stop request or an error. */
  async loop(o: {
    task: Task;
    optimizer: Optimizer;
    config: TrainConfig;
    counters: LoopCounters;
    parent: ParentRef | null;
  }): Promise<TrainResult> {
    const loop = new TrainingLoop({
      ...o,
      recorder: this.recorder,
      runDir: this.dir,
      shouldStop: this.o.shouldStop,
    });
    return { runDir: this.dir, ...(await loop.run()) };
  }

  close(): void {
    for (const d of this.disposers.reverse()) d();
    this.lock?.release();
  }
}

function openNewRun(o: RunOptions, n: NewRun): string {
  const runId = o.runId ?? newRunId(n.tag);
  const runDir = createRunDir(runsRootFor(n.folder, o.out), runId);
  writeRunConfig(runDir, {
    runId,
    folder: path.resolve(n.folder),
    createdAt: new Date().toISOString(),
    train: n.recorded,
    model: n.model,
    parent: n.parent,
    ...(o.group ? { group: o.group } : {}),
  });
  return runDir;
}

/** Runs a task's trainer body inside a TrainingRun: failures are recorded, resources released. */
export async function withTrainingRun(
  o: RunOptions,
  body: (run: TrainingRun) => Promise<TrainResult>,
): Promise<TrainResult> {
  const run = new TrainingRun(o);
  try {
    run.begin();
    return await body(run);
  } catch (err) {
    run.recorder.fail(describeError(err), err instanceof SeqLabError ? err.code : undefined);
    throw err;
  } finally {
    run.close();
  }
}

/** The lines that explain a slower run than asked for: the backend chosen, and the kernel's reach. */
export function backendNotes(backend: BackendInfo, hidden: number): string[] {
  const notes: string[] = [];
  if (backend.reason) notes.push(backend.reason);
  if (backend.fallbackReason) notes.push(`wasm backend unavailable (${backend.fallbackReason}); using cpu`);
  if (backend.threadsReason && os.cpus().length > 1)
    notes.push(`wasm backend on one thread (${backend.threadsReason})`);
  // Which code runs the recurrent layers, as the wasm kernel's reach is said below for wasm.
  if (backend.name === 'webgpu')
    notes.push(
      'on webgpu the recurrent layers run as TF.js ops (the reference path; no fused GPU kernels yet)',
    );
  if (isWasmBackend(backend.name) && !fitsTrainingKernel(hidden)) {
    const near = Math.max(4, Math.round(hidden / 4) * 4);
    notes.push(
      `hidden size ${hidden} is not a multiple of 4, so training runs on plain TF.js ops, several times slower than the wasm training kernel; a hidden size of ${near} would use the kernel`,
    );
  }
  return notes;
}
