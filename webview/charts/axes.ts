/** What the run charts share: the x column chosen in the toolbar, loss units, and joined tables. */
import uPlot from 'uplot';
import type { SeriesPatch } from '../../src/dashboard/protocol';
import { downsampleMinMax } from '../../src/dashboard/series';
import { SelectedRun, state } from '../state';

/** Points per chart at most: long runs are downsampled (min and max per bucket) to this. */
export const MAX_POINTS = 2000;
const LN2 = Math.log(2);

/** For marker-only series (validation points, checkpoints, clipped steps). */
export const noPath = (): null => null;

/** Where a fine-tune's steps start on the x axis: 0, or its parent checkpoint's step. */
function stepOffset(p: SeriesPatch): number {
  if (state.view.ftAlign !== 'parent') return 0;
  return state.runs.find((r) => r.id === p.runId)?.parentStep ?? 0;
}

/** The x column of every step, as chosen in the toolbar. */
export function xOf(p: SeriesPatch): number[] {
  const x = state.view.xAxis;
  if (x === 'step') {
    const off = stepOffset(p);
    return off ? p.steps.step.map((s) => s + off) : p.steps.step;
  }
  return x === 'tokens' ? p.steps.tokensSeen : p.steps.elapsed;
}

/** The x of the given training steps (evaluations, checkpoints); NaN for a step not recorded. */
export function xAtSteps(p: SeriesPatch, steps: number[]): number[] {
  const x = state.view.xAxis;
  if (x === 'step') {
    const off = stepOffset(p);
    return off ? steps.map((s) => s + off) : steps;
  }
  const idx = new Map(p.steps.step.map((s, i) => [s, i]));
  const col = x === 'tokens' ? p.steps.tokensSeen : p.steps.elapsed;
  return steps.map((s) => col[idx.get(s) ?? -1] ?? NaN);
}

/** A loss in nats in the unit chosen in the toolbar. */
export function convert(nats: number): number {
  const y = state.view.yMode;
  return y === 'perplexity' ? Math.exp(nats) : y === 'bpc' ? nats / LN2 : nats;
}

/** Several [x, y] tables on one shared x (uPlot's join fills the gaps with null). */
export function joined(tables: number[][][]): uPlot.AlignedData {
  if (tables.length === 0) return [[]];
  // A log x axis has no place for 0 (the first evaluation at tokens 0, time 0).
  if (state.view.logX)
    tables = tables.map(([x, ...ys]) => {
      const keep = x.map((v) => v > 0);
      return [x.filter((_, i) => keep[i]), ...ys.map((y) => y.filter((_, i) => keep[i]))];
    });
  return uPlot.join(tables as unknown as uPlot.AlignedData[]) as uPlot.AlignedData;
}

/** More runs than this overlaid: every run is sampled on one shared x grid (see `down`). */
export const MANY_RUNS = 12;
/** Width of that grid: what a chart is wide in pixels, about. */
const GRID_POINTS = 600;
let grid: number[] | null = null;

/**
 * Called once per redraw. With many runs overlaid, min/max downsampling gives each run its own x
 * values, and joining hundreds of runs on the union of them makes tables of millions of cells; a
 * shared grid keeps every chart's table GRID_POINTS wide whatever the number of runs.
 */
export function prepareGrid(sel: readonly SelectedRun[]): void {
  grid = null;
  if (sel.length <= MANY_RUNS) return;
  let lo = Infinity;
  let hi = -Infinity;
  for (const { p } of sel) {
    const x = xOf(p);
    if (!x.length) continue;
    lo = Math.min(lo, state.view.logX ? (x.find((v) => v > 0) ?? Infinity) : x[0]);
    hi = Math.max(hi, x[x.length - 1]);
  }
  if (!(hi > lo)) return;
  const log = state.view.logX && lo > 0;
  const f = (t: number) => (log ? lo * Math.pow(hi / lo, t) : lo + (hi - lo) * t);
  grid = Array.from({ length: GRID_POINTS }, (_, i) => f(i / (GRID_POINTS - 1)));
}

/** A series for drawing: min/max downsampled, or on the shared grid when many runs are overlaid. */
export function down(x: number[], y: number[], buckets: number): { x: number[]; y: number[] } {
  if (!grid) return downsampleMinMax(x, y, buckets);
  const out: number[] = [];
  let i = 0;
  for (const g of grid) {
    while (i + 1 < x.length && x[i + 1] <= g) i++;
    // Outside the run's own range: a gap (uPlot skips nulls).
    out.push(x.length && g >= x[0] && g <= x[x.length - 1] ? y[i] : (null as unknown as number));
  }
  return { x: grid, y: out };
}

/** Whether this redraw samples runs on the shared grid. */
export const gridActive = (): boolean => grid !== null;
