/**
 * System metrics the training loop records, per run: CPU % (left axis) and resident memory
 * (right); for runs with a GPU also each device's utilisation % (left) and memory in use (right).
 */
import type uPlot from 'uplot';
import { SystemLine, systemLines } from '../../src/dashboard/systemSeries';
import { state } from '../state';
import { joined } from './axes';
import { Chart, ChartView } from './chart';

/** One line style per kind, so the two axes' lines read apart in one colour per run. */
const DASH: Record<SystemLine['kind'], number[] | undefined> = {
  cpu: undefined,
  rss: [4, 3],
  gpu: [10, 3, 2, 3],
  gpuMem: [1, 3],
};
const WIDTH: Record<SystemLine['kind'], number> = { cpu: 1.5, rss: 1, gpu: 1.5, gpuMem: 1.5 };

export function systemChart(grid: HTMLElement): ChartView {
  const chart = new Chart(
    grid,
    'System: CPU % (solid) and memory MB (dashed); GPU % (dash-dot) and GPU memory MB (dotted)',
    'chart-system',
  );
  const draw: ChartView['draw'] = (sel) => {
    const lines = systemLines(
      sel.map(({ r, p, color }) => ({ label: r.label, color, parentStep: r.parentStep, p })),
      state.view,
    );
    chart.section.hidden = lines.length === 0;
    // Read by the e2e test and by users inspecting the panel: how many GPU lines are drawn.
    chart.section.dataset.gpuLines = String(
      lines.filter((l) => l.kind === 'gpu' || l.kind === 'gpuMem').length,
    );
    if (!lines.length) return;
    const series: uPlot.Series[] = lines.map((l) => ({
      label: l.label,
      stroke: l.color,
      width: WIDTH[l.kind],
      scale: l.scale,
      ...(DASH[l.kind] ? { dash: DASH[l.kind] } : {}),
    }));
    chart.draw(
      series,
      // A device's gaps (NaN) as nulls, which uPlot leaves undrawn.
      joined(lines.map((l) => [l.x, l.y.map((v) => (Number.isNaN(v) ? (null as unknown as number) : v))])),
      {
        scales: { x: { time: false }, cpu: {}, mb: {} },
        axes: [{}, { scale: 'cpu', size: 60 }, { scale: 'mb', side: 1, size: 60 }],
      },
    );
  };
  return { chart, draw, reads: ['xAxis', 'logX', 'ftAlign'] };
}
