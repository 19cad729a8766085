/** Learning rate (left axis) and smoothed tokens per second (right axis), per run. */
import type uPlot from 'uplot';
import { ema } from '../../src/dashboard/series';
import { MAX_POINTS, down, joined, xOf } from './axes';
import { Chart, ChartView } from './chart';

export function rateChart(grid: HTMLElement): ChartView {
  const chart = new Chart(grid, 'Learning rate and tokens/s', 'chart-rate');
  const draw: ChartView['draw'] = (sel) => {
    const series: uPlot.Series[] = [];
    const tables: number[][][] = [];
    for (const { r, p, color } of sel) {
      const x = xOf(p);
      const lr = down(x, p.steps.lr, MAX_POINTS / 2);
      const tps = down(x, ema(p.steps.tokensPerSec, 0.9), MAX_POINTS / 2);
      tables.push([lr.x, lr.y], [tps.x, tps.y]);
      series.push(
        { label: `${r.label} lr`, stroke: color, width: 1.5, scale: 'lr' },
        { label: `${r.label} tok/s`, stroke: color, dash: [4, 3], width: 1, scale: 'tps' },
      );
    }
    chart.draw(series, joined(tables), {
      scales: { x: { time: false }, lr: {}, tps: {} },
      // Thousands as "100k": "100,000" did not fit the right axis and was cut to "100,00".
      axes: [
        {},
        { scale: 'lr', size: 70 },
        {
          scale: 'tps',
          side: 1,
          size: 60,
          values: (_u, vals) => vals.map((v) => (v >= 1000 ? `${+(v / 1000).toPrecision(3)}k` : String(v))),
        },
      ],
    });
  };
  return { chart, draw, reads: ['xAxis', 'logX', 'ftAlign'] };
}
