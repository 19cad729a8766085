/**
 * Sweeps: many runs of one base config over a search space (grid or random, times seeds), in
 * parallel child processes, with early stopping (median rule, ASHA) and a resumable sweep.json.
 * This module never loads TF.js itself (the runs do, in their own processes), so the extension
 * host may import it.
 */
import { planSweep, SweepRequest } from './plan';
import { runSweepDir, SweepResult, SweepRunOptions } from './scheduler';

export * from './plan';
export * from './pruners';
export * from './scheduler';
export * from './space';

/** Plans the sweep (sweep.json) and trains all of it. */
export async function sweep(r: SweepRequest, o: SweepRunOptions = {}): Promise<SweepResult> {
  const plan = planSweep(r);
  return runSweepDir(plan.dir, o);
}
export * from './section';
export * from './table';
