import type { CompareSpec } from '../engine/compare';
import { EventEmitter } from 'events';
import { Worker } from 'worker_threads';
import type { DoneEvent, EvalEvent, StepEvent, TrainEvent } from '../engine/events';
import type { FolderEvaluation } from '../engine/evaluateFolder';
import { isWorkerToHost, Job, WorkerToHost } from './workerProtocol';

export type SessionStatus = 'queued' | 'running' | 'stopping' | 'finished' | 'stopped' | 'failed';

export interface SessionOutcome {
  status: 'finished' | 'stopped' | 'failed';
  runDir?: string;
  done?: DoneEvent;
  error?: string;
  errorCode?: string;
  evaluation?: FolderEvaluation;
  text?: string;
  plan?: CompareSpec & { dir: string };
  /** A task job's result (a classifier's predictions or evaluation). */
  result?: unknown;
}

let nextId = 1;

/**
 * One job in its own worker_threads Worker. Emits 'event' (TrainEvent) and 'change'. The worker
 * is the unit of isolation: if it crashes, the session fails with a message and the extension
 * host carries on; checkpoints it already wrote stay on disk.
 */
export class TrainingSession extends EventEmitter {
  readonly id = nextId++;
  status: SessionStatus = 'queued';
  runDir?: string;
  runId?: string;
  lastStep?: StepEvent;
  lastEval?: EvalEvent;
  private worker?: Worker;
  private settled = false;
  private resolveOutcome!: (o: SessionOutcome) => void;
  readonly outcome: Promise<SessionOutcome> = new Promise((r) => (this.resolveOutcome = r));

  constructor(
    readonly job: Job,
    private readonly workerPath: string,
  ) {
    super();
    if (job.kind === 'train' && job.resume) this.runDir = job.resume;
  }

  get label(): string {
    if (this.job.kind === 'planCompare') return `compare cells on ${this.job.folder}`;
    if (this.job.kind !== 'train') return `${this.job.kind} ${this.job.checkpoint}`;
    return this.runId ?? (this.job.resume ? `resume ${this.job.resume}` : this.job.folder);
  }

  start(): void {
    if (this.status !== 'queued') return;
    this.status = 'running';
    let evaluation: FolderEvaluation | undefined;
    let text: string | undefined;
    let plan: SessionOutcome['plan'];
    let result: unknown;
    let done: DoneEvent | undefined;
    let failure: { message: string; code?: string } | undefined;
    const w = new Worker(this.workerPath, { workerData: this.job });
    this.worker = w;
    w.on('message', (m: unknown) => {
      if (!isWorkerToHost(m)) {
        this.emit('log', `ignored a malformed message from the worker: ${JSON.stringify(m).slice(0, 200)}`);
        return;
      }
      const msg = m as WorkerToHost;
      switch (msg.type) {
        case 'event':
          this.onEvent(msg.event);
          if (msg.event.type === 'done') done = msg.event;
          break;
        case 'evalResult':
          evaluation = msg.result;
          break;
        case 'sampleResult':
          text = msg.text;
          break;
        case 'planResult':
          plan = msg.plan;
          break;
        case 'taskResult':
          result = msg.result;
          break;
        case 'failed':
          failure = { message: msg.message, code: msg.code };
          break;
        case 'finished':
          break;
      }
    });
    w.on('error', (err) => {
      failure ??= { message: `The training worker crashed: ${err.message}`, code: 'E_WORKER_CRASH' };
    });
    w.on('exit', (code) => {
      if (!failure && !done && this.job.kind === 'train' && code !== 0)
        failure = {
          message: `The training worker exited unexpectedly (code ${code})`,
          code: 'E_WORKER_CRASH',
        };
      if (
        !failure &&
        this.job.kind !== 'train' &&
        evaluation === undefined &&
        text === undefined &&
        !plan &&
        result === undefined
      )
        failure = { message: `The worker exited (code ${code}) without a result`, code: 'E_WORKER_CRASH' };
      if (failure?.code === 'E_WORKER_CRASH' && this.runDir)
        failure.message += `. Checkpoints already saved in ${this.runDir} are kept: resume the run to continue.`;
      this.finish(
        failure
          ? { status: 'failed', runDir: this.runDir, error: failure.message, errorCode: failure.code }
          : {
              status: done?.reason === 'stopped' ? 'stopped' : 'finished',
              runDir: this.runDir,
              done,
              evaluation,
              text,
              plan,
              result,
            },
      );
    });
    this.emit('change');
  }

  private onEvent(e: TrainEvent): void {
    if (e.type === 'start') {
      this.runDir = e.runDir;
      this.runId = e.runId;
    } else if (e.type === 'step') this.lastStep = e;
    else if (e.type === 'eval') this.lastEval = e;
    this.emit('event', e);
  }

  /** Asks the worker to save a checkpoint and stop; a queued session is simply dropped. */
  stop(): void {
    if (this.status === 'queued') {
      this.finish({ status: 'stopped' });
      return;
    }
    if (this.status !== 'running') return;
    this.status = 'stopping';
    this.worker?.postMessage({ type: 'stop' });
    this.emit('change');
  }

  /** Ends the worker at once (used on deactivate, after stop had its chance). */
  terminate(): Promise<number> | undefined {
    return this.worker?.terminate();
  }

  private finish(o: SessionOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.status = o.status;
    this.resolveOutcome(o);
    this.emit('change');
  }
}

/**
 * Owns the sessions of this window. 'change' fires whenever a session starts, stops or queues;
 * 'event' forwards every training event with its session.
 */
export class SessionManager extends EventEmitter {
  readonly sessions: TrainingSession[] = [];

  constructor(private readonly workerPath: string) {
    super();
  }

  /** Training sessions that are running or stopping. */
  active(): TrainingSession[] {
    return this.sessions.filter(
      (s) => s.job.kind === 'train' && (s.status === 'running' || s.status === 'stopping'),
    );
  }

  queued(): TrainingSession[] {
    return this.sessions.filter((s) => s.status === 'queued');
  }

  /** Starts a job now, or queues it behind the running training sessions. */
  start(job: Job, when: 'now' | 'queue' = 'now'): TrainingSession {
    const s = new TrainingSession(job, this.workerPath);
    this.sessions.push(s);
    s.on('event', (e: TrainEvent) => this.emit('event', s, e));
    s.on('log', (l: string) => this.emit('log', l));
    s.on('change', () => this.emit('change', s));
    void s.outcome.then(() => {
      this.sessions.splice(this.sessions.indexOf(s), 1);
      this.emit('change', s);
      this.startNextQueued();
    });
    if (when === 'now' || this.active().length === 0) s.start();
    else this.emit('change', s);
    return s;
  }

  /** Runs a short job (evaluate, sample) in a worker and returns its outcome. */
  run(job: Job): Promise<SessionOutcome> {
    return this.start(job, 'now').outcome;
  }

  private startNextQueued(): void {
    if (this.active().length > 0) return;
    this.queued()[0]?.start();
  }

  findByRun(runDir: string): TrainingSession | undefined {
    return this.sessions.find((s) => s.runDir === runDir);
  }

  stopAll(): void {
    for (const s of [...this.sessions]) s.stop();
  }

  async dispose(graceMs = 5000): Promise<void> {
    const live = [...this.sessions];
    this.stopAll();
    await Promise.race([Promise.all(live.map((s) => s.outcome)), new Promise((r) => setTimeout(r, graceMs))]);
    await Promise.all(live.map((s) => s.terminate()));
  }
}
