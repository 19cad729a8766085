/** System metrics the training loop records: CPU % (left axis) and resident memory (right), per run. */
import type uPlot from 'uplot';
import { state } from '../state';
import { joined } from './axes';
import { Chart, ChartView } from './chart';

export function systemChart(grid: HTMLElement): ChartView {
  const chart = new Chart(grid, 'System: CPU % (solid) and memory MB (dashed)', 'chart-system');
  const draw: ChartView['draw'] = (sel) => {
    const series: uPlot.Series[] = [];
    const tables: number[][][] = [];
    for (const { r, p, color } of sel) {
      const sys = p.system;
      if (!sys?.step.length) continue;
      // Samples are by step; other x axes read the step's tokens or time.
      const idx = new Map(p.steps.step.map((s, i) => [s, i]));
      const off = state.view.ftAlign === 'parent' ? (r.parentStep ?? 0) : 0;
      const x =
        state.view.xAxis === 'step'
          ? sys.step.map((s) => s + off)
          : sys.step.map(
              (s) =>
                (state.view.xAxis === 'tokens' ? p.steps.tokensSeen : p.steps.elapsed)[idx.get(s) ?? -1] ??
                NaN,
            );
      tables.push([x, sys.cpu], [x, sys.rssMB]);
      series.push(
        { label: `${r.label} CPU %`, stroke: color, width: 1.5, scale: 'cpu' },
        { label: `${r.label} MB`, stroke: color, dash: [4, 3], width: 1, scale: 'mb' },
      );
    }
    chart.section.hidden = series.length === 0;
    if (!series.length) return;
    chart.draw(series, joined(tables), {
      scales: { x: { time: false }, cpu: {}, mb: {} },
      axes: [{}, { scale: 'cpu', size: 60 }, { scale: 'mb', side: 1, size: 60 }],
    });
  };
  return { chart, draw, reads: ['xAxis', 'logX', 'ftAlign'] };
}
