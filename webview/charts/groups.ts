/**
 * Grouped curves: the overlaid runs grouped by one config key (seeds of one setting, say), each
 * group drawn as the mean of its members' smoothed training loss with a min–max or ±1 std band.
 */
import type uPlot from 'uplot';
import { groupCurve } from '../../src/dashboard/experiments';
import { ema } from '../../src/dashboard/series';
import { palette } from '../dom';
import { SelectedRun, state } from '../state';
import { convert, down, gridActive, joined, MAX_POINTS, xOf } from './axes';
import { Chart, ChartView } from './chart';

/** Every k-th point, so one group costs at most `max` points whatever its length. */
function thin(cols: number[][], max: number): number[][] {
  const n = cols[0].length;
  if (n <= max) return cols;
  const k = Math.ceil(n / max);
  return cols.map((c) => c.filter((_, i) => i % k === 0 || i === n - 1));
}

export function groupsChart(grid: HTMLElement): ChartView {
  const chart = new Chart(grid, 'Grouped runs: mean loss with band', 'chart-groups', true);
  const draw: ChartView['draw'] = (sel: SelectedRun[]) => {
    const key = state.view.groupBy;
    const section = chart.section;
    section.hidden = !key;
    if (!key) return;
    const groups = new Map<string, SelectedRun[]>();
    for (const s of sel) {
      const g = `${key}=${s.r.config?.[key] ?? '—'}`;
      (groups.get(g) ?? groups.set(g, []).get(g)!).push(s);
    }
    const colors = palette();
    const series: uPlot.Series[] = [];
    const tables: number[][][] = [];
    const bands: uPlot.Band[] = [];
    let gi = 0;
    const t0 = performance.now();
    for (const [label, members] of groups) {
      // On the shared grid (many runs) members line up at every x; otherwise at their own steps.
      const c = groupCurve(
        members.map(({ p }) => {
          const x = xOf(p);
          const y = ema(p.steps.loss, state.view.smoothing);
          return gridActive() ? down(x, y, 0) : { x, y };
        }),
      );
      const std = state.view.band === 'std';
      const lo = std ? c.mean.map((m, i) => m - c.std[i]) : c.min;
      const hi = std ? c.mean.map((m, i) => m + c.std[i]) : c.max;
      const [x, mean, l, h] = thin(
        [c.x, c.mean.map(convert), lo.map(convert), hi.map(convert)],
        MAX_POINTS / 2,
      );
      const color = colors[gi++ % colors.length];
      const base = series.length + 1;
      tables.push([x, h], [x, l], [x, mean]);
      series.push(
        { label: `${label} ${std ? '+1 std' : 'max'}`, stroke: color + '66', width: 1 },
        { label: `${label} ${std ? '−1 std' : 'min'}`, stroke: color + '66', width: 1 },
        {
          label: `${label} mean (${members.length} ${members.length === 1 ? 'run' : 'runs'})`,
          stroke: color,
          width: 2,
        },
      );
      // Opaque enough to read on dark themes, faint enough that the mean stays in front.
      bands.push({ series: [base, base + 1], fill: color + '44' });
    }
    document.body.dataset.groupMs = (performance.now() - t0).toFixed(1);
    document.body.dataset.groups = String(groups.size);
    chart.draw(series, joined(tables), { scales: { x: { time: false } }, bands });
  };
  return { chart, draw };
}
