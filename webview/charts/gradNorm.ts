/** Global gradient norm before clipping, the clipped steps, per-layer norms and the clip line. */
import type uPlot from 'uplot';
import { css } from '../dom';
import { state } from '../state';
import { MAX_POINTS, down, joined, noPath, xOf } from './axes';
import { Chart, ChartView } from './chart';

export function gradNormChart(grid: HTMLElement): ChartView {
  const chart = new Chart(grid, 'Gradient norm before clipping (per layer: thin)', 'chart-grad');
  const draw: ChartView['draw'] = (sel) => {
    const series: uPlot.Series[] = [];
    const tables: number[][][] = [];
    const red = css('--vscode-charts-red', '#f14c4c');
    for (const { r, p, color } of sel) {
      const x = xOf(p);
      const d = down(x, p.steps.gradNorm, MAX_POINTS / 2);
      const clippedIdx = p.steps.clipped.flatMap((c, i) => (c ? [i] : []));
      const cx = down(
        clippedIdx.map((i) => x[i]),
        clippedIdx.map((i) => p.steps.gradNorm[i]),
        MAX_POINTS / 4,
      );
      tables.push([d.x, d.y], [cx.x, cx.y]);
      series.push(
        { label: r.label, stroke: color, width: 1.5 },
        {
          label: `${r.label} clipped`,
          stroke: red,
          width: 0,
          points: { show: true, size: 5, fill: red },
          paths: noPath,
        },
      );
      for (const [g, col] of Object.entries(p.steps.layerNorms).filter(([g]) => g.startsWith('layer_'))) {
        const l = down(x, col, MAX_POINTS / 4);
        tables.push([l.x, l.y]);
        series.push({ label: `${r.label} ${g}`, stroke: color + '99', width: 0.75, dash: [2, 2] });
      }
      if (r.clip > 0 && x.length) {
        tables.push([
          [x[0], x[x.length - 1]],
          [r.clip, r.clip],
        ]);
        series.push({ label: `${r.label} clip ${r.clip}`, stroke: red, dash: [6, 4], width: 1 });
      }
    }
    chart.draw(series, joined(tables), {
      scales: { x: { time: false }, y: { distr: state.view.logGrad ? 3 : 1 } },
    });
  };
  return { chart, draw, reads: ['xAxis', 'logX', 'ftAlign', 'logGrad'] };
}
