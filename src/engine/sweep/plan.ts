import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TrainConfig } from '../config';
import { SeqLabError } from '../errors';
import {
  ensureRunsDir,
  metricGoal,
  newRunId,
  PruneRule,
  runsRootFor,
  SweepMetric,
  SweepSpec,
  sweepRunId,
  writeSweepSpec,
} from '../runFolder';
import type { PruneOptions } from './pruners';
import { configWith, Dimension, gridPoints, Params, randomPoints, spaceText, withSeeds } from './space';

/** What a sweep is asked to do, before anything is written. */
export interface SweepRequest {
  folder: string;
  out?: string;
  base: TrainConfig;
  space: Dimension[];
  /** Draw this many points at random instead of the whole grid. */
  random?: number;
  seeds?: number;
  prune?: PruneRule;
  pruneOptions?: PruneOptions;
  /** An eval field (valLoss, bpc, accuracy, …), optionally `name:min` or `name:max`. */
  metric?: string;
  parallel?: number;
  threadsPerRun?: number;
  budgetSeconds?: number;
}

/** Most runs one sweep may hold: a typo in a grid should not start thousands of processes. */
export const MAX_SWEEP_RUNS = 1000;

export function parseMetric(s: string | undefined): SweepMetric {
  const [name, goal] = (s ?? 'valLoss').split(':');
  if (!name || (goal !== undefined && goal !== 'min' && goal !== 'max'))
    throw new SeqLabError(
      'E_SWEEP',
      `--metric: "${s}" is not a metric name`,
      '--metric',
      'Give an evaluation field such as valLoss, bpc or accuracy, optionally with :min or :max.',
    );
  return { name, goal: (goal as 'min' | 'max' | undefined) ?? metricGoal(name) };
}

/** Runs at once by default: one per core's worth of threads, never more than there are runs. */
export function defaultParallel(threadsPerRun: number, runs: number, cores = os.cpus().length): number {
  return Math.max(1, Math.min(runs, Math.floor(cores / Math.max(1, threadsPerRun))));
}

/** The runs' params in order (grid or random, then seeds) and each one's validated config. */
export function expandSweep(r: SweepRequest): { params: Params[]; configs: TrainConfig[] } {
  const seeds = r.seeds ?? 1;
  if (!Number.isInteger(seeds) || seeds < 1)
    throw new SeqLabError(
      'E_SWEEP',
      `--seeds must be a whole number ≥ 1, got ${seeds}`,
      '--seeds',
      'Use e.g. --seeds 3.',
    );
  const points = r.random ? randomPoints(r.space, r.random, r.base.seed) : gridPoints(r.space);
  const params = withSeeds(points, seeds, r.base.seed);
  if (params.length > MAX_SWEEP_RUNS)
    throw new SeqLabError(
      'E_SWEEP',
      `The sweep would start ${params.length} runs (at most ${MAX_SWEEP_RUNS})`,
      '--grid',
      'Use fewer values, fewer seeds, or --random <n> to sample the grid.',
    );
  return { params, configs: params.map((p) => configWith(r.base, p)) };
}

/** How many runs a request would start, and with what: the VS Code command's preview. */
export function previewSweep(r: SweepRequest): { count: number; params: Params[]; parallel: number } {
  const { params } = expandSweep(r);
  const threads = r.threadsPerRun ?? 1;
  return { count: params.length, params, parallel: r.parallel ?? defaultParallel(threads, params.length) };
}

/** Writes the sweep's folder and sweep.json (every run pending); nothing trains yet. */
export function planSweep(r: SweepRequest): SweepSpec & { dir: string } {
  const { params } = expandSweep(r);
  const threadsPerRun = r.threadsPerRun ?? 1;
  const now = new Date();
  const id = newRunId('sweep', now);
  const dir = path.join(ensureRunsDir(runsRootFor(r.folder, r.out)), id);
  fs.mkdirSync(dir, { recursive: true });
  const spec: SweepSpec = {
    kind: 'sweep',
    id,
    folder: path.resolve(r.folder),
    ...(r.out ? { out: path.resolve(r.out) } : {}),
    createdAt: now.toISOString(),
    base: r.base,
    space: spaceText(r.space),
    mode: r.random ? 'random' : 'grid',
    seeds: r.seeds ?? 1,
    prune: r.prune ?? 'none',
    ...(r.pruneOptions ? { pruneOptions: r.pruneOptions } : {}),
    metric: parseMetric(r.metric),
    parallel: r.parallel ?? defaultParallel(threadsPerRun, params.length),
    threadsPerRun,
    budgetSeconds: r.budgetSeconds ?? 0,
    elapsedSeconds: 0,
    runs: params.map((p, i) => ({ runId: sweepRunId(id, i + 1), params: p, state: 'pending' })),
    status: 'running',
    updatedAt: now.toISOString(),
  };
  writeSweepSpec(dir, spec);
  return { ...spec, dir };
}
