/** What the run charts share: the x column chosen in the toolbar, loss units, and joined tables. */
import uPlot from 'uplot';
import type { SeriesPatch } from '../../src/dashboard/protocol';
import { state } from '../state';

/** Points per chart at most: long runs are downsampled (min and max per bucket) to this. */
export const MAX_POINTS = 2000;
const LN2 = Math.log(2);

/** For marker-only series (validation points, checkpoints, clipped steps). */
export const noPath = (): null => null;

/** The x column of every step, as chosen in the toolbar. */
export function xOf(p: SeriesPatch): number[] {
  const x = state.view.xAxis;
  return x === 'tokens' ? p.steps.tokensSeen : x === 'time' ? p.steps.elapsed : p.steps.step;
}

/** The x of the given training steps (evaluations, checkpoints); NaN for a step not recorded. */
export function xAtSteps(p: SeriesPatch, steps: number[]): number[] {
  const x = state.view.xAxis;
  if (x === 'step') return steps;
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
  return uPlot.join(tables as unknown as uPlot.AlignedData[]) as uPlot.AlignedData;
}
