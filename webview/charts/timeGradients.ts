/** Gradients through time: ‖∂L_T/∂h_t‖ over t, one line per layer, at the latest recorded step. */
import type uPlot from 'uplot';
import type { SeriesPatch } from '../../src/dashboard/protocol';
import { palette } from '../dom';
import { isTaskRun, SelectedRun, state } from '../state';
import { Chart, ChartView } from './chart';

/** The gradient profiles to show: the training run's if one is (its profile is the one changing). */
export function latestProfiles(
  sel: SelectedRun[],
): { run: SelectedRun; records: SeriesPatch['timestepGradients'] } | undefined {
  const live = (s: SelectedRun) => state.training.has(s.r.id);
  const ordered = [...sel.filter(live), ...sel.filter((s) => !live(s))];
  const first = ordered.find((s) => s.p.timestepGradients.length);
  return first ? { run: first, records: first.p.timestepGradients } : undefined;
}

/**
 * Whether the gradient-through-time panels have nothing to show and never will: no profile, and
 * every overlaid run is of a task that records none (an empty panel for a language model fills).
 */
export const noProfiles = (sel: SelectedRun[]): boolean =>
  sel.length > 0 && sel.every(isTaskRun) && !latestProfiles(sel);

/** Axis label for a value on a log scale: 0.01, 0.1, 1, 10 as they are; 1e-5 and 1e+4 beyond. */
function sci(v: number | null): string {
  if (v == null) return '';
  return v >= 0.01 && v < 1000 ? String(+v.toPrecision(2)) : v.toExponential(0);
}

export function timeGradientsChart(grid: HTMLElement): ChartView {
  const chart = new Chart(
    grid,
    'Gradients through time: ‖∂L_T/∂h_t‖ at the latest recorded step',
    'chart-time',
    true,
    false,
  );
  const draw: ChartView['draw'] = (sel) => {
    const prof = latestProfiles(sel);
    chart.section.hidden = noProfiles(sel);
    const tg = prof?.records[prof.records.length - 1];
    const series: uPlot.Series[] = [];
    let d: uPlot.AlignedData = [[]];
    if (tg) {
      const colors = palette();
      d = [Array.from({ length: tg.norms[0]?.length ?? 0 }, (_, i) => i + 1), ...tg.norms];
      tg.norms.forEach((_, l) =>
        series.push({ label: `layer ${l}`, stroke: colors[l % colors.length], width: 2 }),
      );
    }
    chart.draw(series, d, {
      scales: { x: { time: false }, y: { distr: 3 } },
      // Vanishing gradients span many decades: label them as powers of ten, never as "0".
      axes: [
        { label: `t (step ${tg?.step ?? '–'})` },
        { values: (_u: unknown, vals: number[]) => vals.map(sci) },
      ],
    });
  };
  return { chart, draw };
}
