import type { CellKind, TrainConfig } from './config';
import { ALL_CELLS, cellConfig, CompareRow, finishCompare, planCompare } from './compare';
import type { TrainEvent } from './events';
import { train, TrainResult } from './trainer';

// Kept apart from compare.ts, which the extension host imports: this one pulls in TF.js.

export interface CompareOptions {
  folder: string;
  config: TrainConfig;
  cells?: CellKind[];
  out?: string;
  onEvent?: (cell: CellKind, e: TrainEvent) => void;
  /** Polled between steps: stops the current cell (after its checkpoint) and skips the rest. */
  shouldStop?: () => boolean;
  log?: (line: string) => void;
  /** Where the include/exclude patterns came from (a flag, seqlab.json), for a refused pattern's message. */
  patternSource?: string;
}

/** The whole experiment in this process, one cell after another (the CLI's and the tests' path). */
export async function compareCells(
  o: CompareOptions,
): Promise<{ dir: string; rows: CompareRow[]; markdown: string; stopped: boolean }> {
  const plan = planCompare(o.folder, o.config, o.cells ?? ALL_CELLS, o.out, o.patternSource);
  let stopped = false;
  try {
    for (const run of plan.runs) {
      if (o.shouldStop?.()) {
        stopped = true;
        break;
      }
      const r: TrainResult = await train({
        folder: o.folder,
        out: o.out,
        runId: run.runId,
        group: plan.id,
        config: cellConfig(o.config, run),
        onEvent: (e) => o.onEvent?.(run.cell, e),
        shouldStop: o.shouldStop,
        log: o.log,
        patternSource: o.patternSource,
      });
      if (r.reason === 'stopped') {
        stopped = true;
        break;
      }
    }
  } catch (err) {
    finishCompare(plan.dir, 'failed');
    throw err;
  }
  return { dir: plan.dir, ...finishCompare(plan.dir, stopped ? 'stopped' : 'finished'), stopped };
}
