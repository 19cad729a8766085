import * as fs from 'fs';
import * as path from 'path';
import { writeJsonAtomic } from '../checkpoint';
import type { TrainConfig } from '../config';
import { RUN_FILES } from './layout';
import type { PrunedInfo } from './schema';

/** Where one run of a sweep stands; `pending` and `stopped` runs are what `--resume` continues. */
export type SweepRunState = 'pending' | 'running' | 'finished' | 'pruned' | 'stopped' | 'failed';

export type SweepValue = string | number | boolean;

export interface SweepRunEntry {
  runId: string;
  /** The swept keys (seqlab.json names) and their values for this run, seed included. */
  params: Record<string, SweepValue>;
  state: SweepRunState;
  pruned?: PrunedInfo;
  error?: string;
}

/** The metric a sweep ranks and prunes by: an eval event's field, lower or higher is better. */
export interface SweepMetric {
  name: string;
  goal: 'min' | 'max';
}

export type PruneRule = 'none' | 'median' | 'asha';

/** sweep.json in a sweep's folder under .seqlab/runs; only the sweep's own process writes it. */
export interface SweepSpec {
  kind: 'sweep';
  id: string;
  folder: string;
  /** The `out` the runs were started with (where .seqlab/runs is), if not the folder. */
  out?: string;
  createdAt: string;
  /** The config every run starts from before its own params are applied. */
  base: TrainConfig;
  /** The search space as the user wrote it (`cell=lstm,gru hidden=64,128`). */
  space: string;
  mode: 'grid' | 'random';
  seeds: number;
  prune: PruneRule;
  /** The rule's settings (median: minRuns, warmupSteps; ASHA: eta, minSteps). */
  pruneOptions?: { minRuns?: number; warmupSteps?: number; eta?: number; minSteps?: number };
  metric: SweepMetric;
  parallel: number;
  threadsPerRun: number;
  /** Wall-clock limit of the whole sweep in seconds (0: none), summed over its sessions. */
  budgetSeconds: number;
  /** Wall time spent in earlier sessions (a resumed sweep continues the budget). */
  elapsedSeconds: number;
  runs: SweepRunEntry[];
  status: 'running' | 'finished' | 'stopped' | 'failed';
  updatedAt: string;
}

/** sweep.json of a sweep folder, or undefined when the folder is not one. */
export function readSweepSpec(dir: string): SweepSpec | undefined {
  try {
    const spec = JSON.parse(fs.readFileSync(path.join(dir, RUN_FILES.sweep), 'utf8')) as SweepSpec;
    return spec?.kind === 'sweep' && Array.isArray(spec.runs) ? spec : undefined;
  } catch {
    return undefined;
  }
}

/** Rewrites sweep.json whole under a temporary name and renames it, so no reader sees half a file. */
export function writeSweepSpec(dir: string, spec: SweepSpec): void {
  writeJsonAtomic(path.join(dir, RUN_FILES.sweep), { ...spec, updatedAt: new Date().toISOString() });
}

/** The id of the `index`-th run (from 1) of a sweep: sorts with its siblings, names the sweep. */
export function sweepRunId(sweepId: string, index: number): string {
  return `${sweepId}-r${String(index).padStart(3, '0')}`;
}
