import * as fs from 'fs';
import * as path from 'path';
import { describeError, SeqLabError } from '../errors';
import type { TrainEvent } from '../events';
import {
  latestCheckpoint,
  readMetricsFile,
  readSweepSpec,
  runLockHolder,
  runPaths,
  SweepRunEntry,
  SweepSpec,
  updateStatus,
  writeSweepSpec,
} from '../runFolder';
import { forkRun, Launcher, RunProcess } from './launch';
import { makePruner, PruneOptions, Pruner } from './pruners';
import { configWith } from './space';

export type SweepEvent =
  | { type: 'runStart'; runId: string; index: number; params: SweepRunEntry['params']; resumed: boolean }
  | { type: 'runEvent'; runId: string; event: TrainEvent }
  | { type: 'runEnd'; runId: string; entry: SweepRunEntry }
  | { type: 'log'; message: string };

export interface SweepRunOptions {
  onEvent?: (e: SweepEvent) => void;
  /** Polled twice a second: true stops every running run (after a checkpoint) and starts no more. */
  shouldStop?: () => boolean;
  /** Replaces the sweep's own `parallel` (a resume on another machine). */
  parallel?: number;
  pruneOptions?: PruneOptions;
  /** How a run is started; tests substitute their own. */
  launch?: Launcher;
}

export interface SweepResult {
  dir: string;
  spec: SweepSpec;
  stopped: boolean;
}

/** States `--resume` takes up again; a run cut off by a kill is still marked running. */
const UNFINISHED = new Set(['pending', 'running', 'stopped']);

/** The runs folder holding the sweep's runs (the sweep folder's parent). */
const runDirOf = (sweepDir: string, runId: string) => path.join(path.dirname(sweepDir), runId);

/** A run of an earlier session may still be saving its checkpoint after the sweep was killed. */
async function waitForLock(runDir: string, log: (m: string) => void, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let said = false;
  for (let holder = runLockHolder(runDir); holder; holder = runLockHolder(runDir)) {
    if (Date.now() > until)
      throw new SeqLabError(
        'E_RUN_LOCKED',
        `Run ${path.basename(runDir)} is still being trained by process ${holder.pid}`,
        runDir,
        'Stop that process (it belongs to an earlier session of this sweep), then resume the sweep again.',
      );
    if (!said) log(`waiting for process ${holder.pid} to finish saving run ${path.basename(runDir)}`);
    said = true;
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** The evaluations of the runs that already have some, so a resumed sweep prunes as before. */
function replayHistory(dir: string, spec: SweepSpec, pruner: Pruner): void {
  for (const r of spec.runs) {
    const { events } = readMetricsFile(runPaths(runDirOf(dir, r.runId)).metrics);
    for (const e of events) {
      const v = (e as unknown as Record<string, unknown>)[spec.metric.name];
      if (e.type === 'eval' && typeof v === 'number') pruner.replay(r.runId, { step: e.step, value: v });
    }
  }
}

type Outcome = { reason: string; step: number } | { failed: string } | undefined;

/** A run's state once its process has ended: finished, pruned (recorded in status.json), stopped or failed. */
function settle(
  entry: SweepRunEntry,
  outcome: Outcome,
  exit: { code: number | null; signal: string | null },
  runDir: string,
): void {
  if (outcome && 'reason' in outcome) {
    if (outcome.reason !== 'stopped') {
      entry.state = 'finished';
      delete entry.pruned;
    } else if (entry.pruned) {
      entry.state = 'pruned';
      updateStatus(runDir, { pruned: entry.pruned });
    } else entry.state = 'stopped';
    return;
  }
  entry.state = 'failed';
  entry.error =
    outcome?.failed ??
    `its process ended without a result (${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`})`;
}

/**
 * Trains the sweep's unfinished runs, at most `parallel` at once, each in its own process,
 * pruning by the sweep's rule and stopping all when the budget is spent. sweep.json is rewritten
 * (atomically) at every change of a run's state, so a killed sweep resumes from what it says.
 */
export async function runSweepDir(dir: string, o: SweepRunOptions = {}): Promise<SweepResult> {
  const loaded = readSweepSpec(dir);
  if (!loaded)
    throw new SeqLabError(
      'E_SWEEP',
      `${dir} is not a sweep folder (no readable sweep.json)`,
      dir,
      'Give the sweep folder under .seqlab/runs, e.g. .seqlab/runs/20261130-101500-sweep-ab12.',
    );
  const spec: SweepSpec = loaded;
  const emit = (e: SweepEvent) => o.onEvent?.(e);
  const log = (message: string) => emit({ type: 'log', message });
  const launch = o.launch ?? forkRun;
  const parallel = Math.max(1, o.parallel ?? spec.parallel);
  const pruner = makePruner(spec.prune, spec.metric, {
    minSteps: spec.base.evalEvery || undefined,
    ...spec.pruneOptions,
    ...o.pruneOptions,
  });
  if (pruner) replayHistory(dir, spec, pruner);
  const save = () => writeSweepSpec(dir, spec);
  const queue = spec.runs.filter((r) => UNFINISHED.has(r.state));
  const active = new Map<string, Promise<void>>();
  const procs = new Map<string, RunProcess>();
  const t0 = Date.now();
  const spent = () => spec.elapsedSeconds + (Date.now() - t0) / 1000;
  let stopping = false;
  let budgetHit = false;
  spec.status = 'running';
  save();

  const stopAll = () => {
    stopping = true;
    for (const p of procs.values()) p.stop();
  };
  const timer = setInterval(() => {
    if (stopping) return;
    if (spec.budgetSeconds > 0 && spent() >= spec.budgetSeconds) {
      budgetHit = true;
      log(`budget of ${spec.budgetSeconds} s spent: stopping the running runs (resume the sweep to go on)`);
      stopAll();
    } else if (o.shouldStop?.()) stopAll();
  }, 500);

  const start = async (entry: SweepRunEntry): Promise<void> => {
    const runDir = runDirOf(dir, entry.runId);
    let resume = false;
    if (fs.existsSync(runDir)) {
      await waitForLock(runDir, log);
      resume = !!latestCheckpoint(runDir);
      // Started but never checkpointed: nothing to continue, so it starts again from scratch.
      if (!resume) fs.rmSync(runDir, { recursive: true, force: true });
    }
    if (stopping) return;
    const index = spec.runs.indexOf(entry) + 1;
    const proc = launch(
      {
        type: 'train',
        folder: spec.folder,
        out: spec.out,
        runId: entry.runId,
        group: spec.id,
        config: configWith(spec.base, entry.params),
        ...(resume ? { resume: runDir } : {}),
      },
      spec.threadsPerRun,
    );
    procs.set(entry.runId, proc);
    entry.state = 'running';
    delete entry.error;
    save();
    emit({ type: 'runStart', runId: entry.runId, index, params: entry.params, resumed: resume });
    let outcome: Outcome;
    proc.onMessage((m) => {
      if (m.type === 'event') {
        emit({ type: 'runEvent', runId: entry.runId, event: m.event });
        const v = (m.event as unknown as Record<string, unknown>)[spec.metric.name];
        if (m.event.type === 'eval' && typeof v === 'number' && pruner && !entry.pruned && !stopping) {
          const why = pruner.report(entry.runId, { step: m.event.step, value: v });
          if (why) {
            entry.pruned = why;
            log(`${entry.runId}: pruned at step ${why.step}: ${why.reason}`);
            proc.stop();
          }
        }
      } else if (m.type === 'result') outcome = { reason: m.reason, step: m.step };
      else outcome = { failed: m.message };
    });
    const exit = await proc.exited;
    procs.delete(entry.runId);
    settle(entry, outcome, exit, runDir);
    if (entry.error) log(`${entry.runId} failed: ${entry.error}`);
    save();
    emit({ type: 'runEnd', runId: entry.runId, entry: { ...entry } });
  };

  try {
    while (active.size || (queue.length && !stopping)) {
      while (!stopping && active.size < parallel && queue.length) {
        const entry = queue.shift()!;
        active.set(
          entry.runId,
          start(entry)
            .catch((err: unknown) => {
              entry.state = 'failed';
              entry.error = describeError(err);
              log(`${entry.runId} failed: ${entry.error}`);
              save();
              emit({ type: 'runEnd', runId: entry.runId, entry: { ...entry } });
            })
            .finally(() => active.delete(entry.runId)),
        );
      }
      if (active.size) await Promise.race(active.values());
    }
  } finally {
    clearInterval(timer);
    spec.elapsedSeconds = spent();
    const left = spec.runs.some((r) => UNFINISHED.has(r.state));
    spec.status = left ? 'stopped' : spec.runs.every((r) => r.state === 'failed') ? 'failed' : 'finished';
    save();
  }
  return { dir, spec, stopped: stopping || budgetHit };
}
