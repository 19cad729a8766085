import * as path from 'path';
import type { ParentRef } from '../checkpoint';
import { checkDevice, GpuLostError } from '../gpu/webgpuBackend';
import { SeqLabError } from '../errors';
import type { TrainConfig } from '../config';
import type { StopReason, TrainEvent } from '../events';
import type { Optimizer } from '../optim';
import { hash32 } from '../rng';
import { checkpointName, commitCheckpoint, RunRecorder } from '../runFolder';
import type { LoopCounters } from './counters';
import { prefetch } from './reads';
import { gradientStep } from './gradientStep';
import { SystemSampler } from './systemMetrics';
import { exportSlots } from './optimizer';
import type { Task, TaskEval } from './task';

export interface LoopOptions {
  task: Task;
  optimizer: Optimizer;
  /** The run's configuration as checkpoints record it; budgets, cadence and clipping come from it. */
  config: TrainConfig;
  counters: LoopCounters;
  recorder: RunRecorder;
  runDir: string;
  parent: ParentRef | null;
  /** Polled between steps; true stops the run after saving a checkpoint. */
  shouldStop?: () => boolean;
}

export interface LoopResult {
  step: number;
  reason: StopReason;
  valLoss: number | null;
  bpc: number | null;
  checkpoint: string | null;
  losses: number[];
}

type CheckpointReason = 'eval' | 'best' | 'final' | 'stopped';

/**
 * The task-independent training loop: step, epoch and time budgets, stop requests, one gradient
 * step per batch, evaluation and checkpoints every `evalEvery` steps, and a final checkpoint.
 */
export class TrainingLoop {
  private readonly c: LoopCounters;
  private readonly startStep: number;
  private readonly t0 = Date.now();
  private lastEval: { loss: number; bpc: number | null; fields: Record<string, number> } | null = null;
  private lastCheckpoint: string | null = null;
  private readonly losses: number[] = [];
  private readonly system = new SystemSampler();

  constructor(private readonly o: LoopOptions) {
    this.c = { ...o.counters };
    this.startStep = o.counters.step;
  }

  private elapsed(): number {
    return this.c.elapsedBefore + (Date.now() - this.t0) / 1000;
  }

  private emit(e: TrainEvent): void {
    this.o.recorder.emit(e);
  }

  /** Why to stop before the next step, if so. */
  private budgetReached(): StopReason | undefined {
    const { config } = this.o;
    if (config.steps > 0 && this.c.step >= config.steps) return 'steps';
    if (config.epochs > 0 && this.c.epoch >= config.epochs) return 'epochs';
    if (config.timeSeconds > 0 && this.elapsed() >= config.timeSeconds) return 'time';
    if (this.o.shouldStop?.()) return 'stopped';
    return undefined;
  }

  async run(): Promise<LoopResult> {
    try {
      return await this.runSteps();
    } catch (err) {
      if (!(err instanceof GpuLostError)) throw err;
      // The weights lived on the lost device: what survives is the last checkpoint on disk.
      const kept = this.lastCheckpoint
        ? `its last checkpoint (${path.basename(this.lastCheckpoint)}) is kept`
        : 'the checkpoints it saved before are kept';
      throw new SeqLabError(
        'E_GPU_LOST',
        `The GPU was lost at step ${this.c.step} (${err.why}); the run stopped and ${kept}`,
        this.o.runDir,
        'Resume the run (Resume Run in VS Code, or seqlab resume <run>); set the backend to wasm to continue on the CPU.',
      );
    }
  }

  private async runSteps(): Promise<LoopResult> {
    const { task, config } = this.o;
    let reason: StopReason;
    for (;;) {
      const stop = this.budgetReached();
      if (stop) {
        reason = stop;
        break;
      }
      if (this.c.window >= task.batchesPerEpoch) {
        this.c.window = 0;
        this.c.epoch++;
        task.startEpoch();
        continue;
      }
      checkDevice();
      await this.trainStep();
      // Each step is synchronous TF.js work: yield so that a stop request (SIGINT, a message to
      // the worker) is seen between steps.
      await new Promise((r) => setImmediate(r));
      if (this.c.step % config.evalEvery === 0) {
        const isBest = await this.evaluate();
        await this.save(isBest ? 'best' : 'eval', isBest);
      }
    }
    return this.finish(reason);
  }

  private async trainStep(): Promise<void> {
    const { task, config } = this.o;
    const ts = Date.now();
    const step = ++this.c.step;
    const record = config.gradEvery > 0 && step % config.gradEvery === 0;
    const s = await gradientStep(task, this.o.optimizer, config, this.c.window, step, record, this.elapsed());
    const norms = await task.commitStep();
    this.c.window++;
    this.c.tokensSeen += task.itemsPerBatch;
    this.losses.push(s.loss);
    const dt = (Date.now() - ts) / 1000;
    this.emit({
      type: 'step',
      time: Date.now(),
      step,
      epoch: this.c.epoch,
      loss: s.loss,
      gradNorm: s.gradNorm,
      layerGradNorms: s.layerGradNorms,
      clipped: s.clipped,
      lr: s.lr,
      tokensPerSec: task.itemsPerBatch / Math.max(dt, 1e-6),
      tokensSeen: this.c.tokensSeen,
      elapsedSeconds: this.elapsed(),
    });
    if (norms) this.emit({ type: 'timestepGradients', time: Date.now(), step, norms });
    const sys = this.system.maybe();
    if (sys) this.emit({ type: 'system', time: Date.now(), step, ...sys });
  }

  /** Evaluates and samples; returns whether this is the best validation loss so far. */
  private async evaluate(): Promise<boolean> {
    const step = this.c.step;
    const r: TaskEval | null = await this.o.task.evaluate();
    // Like a non-finite training loss: stop before it is logged or checkpointed (a NaN would
    // otherwise compare as never-worse and could become "best"); the last good checkpoint stays.
    if (r && !Number.isFinite(r.loss))
      throw new SeqLabError(
        'E_DIVERGED',
        `Validation loss is ${r.loss} at step ${step}; the run stopped without saving this step (its last good checkpoint is kept)`,
        this.o.runDir,
        'Lower the learning rate (--lr) or the clip threshold (--clip), then resume or start again.',
      );
    if (r) {
      this.lastEval = { loss: r.loss, bpc: r.bpc, fields: r.fields };
      // The task's fields (perplexity, bpc for a language model) sit between valLoss and tokensSeen.
      this.emit({
        type: 'eval',
        time: Date.now(),
        step,
        valLoss: r.loss,
        ...r.fields,
        tokensSeen: this.c.tokensSeen,
      } as TrainEvent);
    }
    const sample = await this.o.task.sample(step);
    if (sample) this.emit({ type: 'sample', time: Date.now(), step, ...sample });
    // bestVal holds the task's score (the loss unless the task chooses by another figure).
    const score = r ? (r.score ?? r.loss) : null;
    const isBest = score !== null && (this.c.bestVal === null || score < this.c.bestVal);
    if (isBest) this.c.bestVal = score;
    return isBest;
  }

  private async save(reason: CheckpointReason, isBest: boolean): Promise<string> {
    const { task, config, optimizer, runDir } = this.o;
    const step = this.c.step;
    const t = await task.checkpoint();
    await prefetch([...optimizer.slots.values()]);
    const dir = commitCheckpoint(
      runDir,
      step,
      {
        manifest: {
          name: checkpointName(step),
          task: t.task ?? 'lm',
          ...(t.spec ? { taskSpec: t.spec } : {}),
          ...(this.lastEval ? { metrics: this.lastEval.fields } : {}),
          model: t.model,
          tokenizer: t.tokenizer,
          train: config,
          step,
          tokensSeen: this.c.tokensSeen,
          valLoss: this.lastEval?.loss ?? null,
          valBpc: this.lastEval?.bpc ?? null,
          createdAt: new Date().toISOString(),
          parent: this.o.parent,
          trainer: {
            epoch: this.c.epoch,
            window: this.c.window,
            rngState: hash32(config.seed, step),
            optimizerStep: optimizer.step,
            bestValLoss: this.c.bestVal,
            elapsedSeconds: this.elapsed(),
          },
        },
        weights: t.weights,
        optimizer: exportSlots(optimizer),
        carry: t.carry,
      },
      {
        isBest,
        keep: config.keepCheckpoints,
        announce: (path) =>
          this.emit({
            type: 'checkpoint',
            time: Date.now(),
            step,
            name: checkpointName(step),
            path,
            valLoss: this.lastEval?.loss ?? null,
            best: isBest,
            reason,
          }),
      },
    );
    this.lastCheckpoint = dir;
    return dir;
  }

  /** Always leaves a checkpoint of the final weights, then marks the run finished or stopped. */
  private async finish(reason: StopReason): Promise<LoopResult> {
    const step = this.c.step;
    const { config, recorder } = this.o;
    if (step > this.startStep || !this.lastCheckpoint) {
      if (step % config.evalEvery !== 0 || step === this.startStep) {
        const isBest = reason === 'stopped' ? false : await this.evaluate();
        await this.save(reason === 'stopped' ? 'stopped' : 'final', isBest);
      }
    }
    recorder.status({ status: reason === 'stopped' ? 'stopped' : 'finished', step });
    const valLoss = this.lastEval?.loss ?? null;
    const bpc = this.lastEval?.bpc ?? null;
    recorder.emit({
      type: 'done',
      time: Date.now(),
      step,
      reason,
      valLoss,
      bpc,
      checkpoint: this.lastCheckpoint,
      elapsedSeconds: this.elapsed(),
    });
    return { step, reason, valLoss, bpc, checkpoint: this.lastCheckpoint, losses: this.losses };
  }
}
