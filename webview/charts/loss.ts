/** Training loss (raw and smoothed), validation points and checkpoint markers, per run. */
import type uPlot from 'uplot';
import { ema } from '../../src/dashboard/series';
import { css } from '../dom';
import { post } from '../host';
import { state } from '../state';
import { MAX_POINTS, convert, down, joined, noPath, xAtSteps, xOf } from './axes';
import { Chart, ChartView } from './chart';

export function lossChart(grid: HTMLElement): ChartView {
  const chart = new Chart(grid, 'Loss', 'chart-loss');
  /** Where the checkpoint markers are, for clicks on the chart. */
  let checkpointHits: { x: number; path: string }[] = [];

  // A click near a checkpoint marker opens that checkpoint in the Checkpoints tree.
  const onClick = (ev: MouseEvent) => {
    const cur = chart.plot;
    if (!cur) return;
    const xv = cur.posToVal(ev.offsetX, 'x');
    const tol = Math.abs(cur.posToVal(8, 'x') - cur.posToVal(0, 'x'));
    const hit = checkpointHits
      .filter((h) => Math.abs(h.x - xv) <= tol)
      .sort((a, b) => Math.abs(a.x - xv) - Math.abs(b.x - xv))[0];
    if (hit) post({ type: 'openCheckpoint', path: hit.path });
  };

  const draw: ChartView['draw'] = (sel) => {
    const series: uPlot.Series[] = [];
    const tables: number[][][] = [];
    checkpointHits = [];
    for (const { r, p, color } of sel) {
      const x = xOf(p);
      const raw = p.steps.loss.map(convert);
      const smooth = ema(p.steps.loss, state.view.smoothing).map(convert);
      const d1 = down(x, raw, MAX_POINTS / 2);
      const d2 = down(x, smooth, MAX_POINTS / 2);
      const vx = xAtSteps(p, p.evals.step);
      const cx = xAtSteps(
        p,
        p.checkpoints.map((c) => c.step),
      );
      // A map over every step is costly for hundreds of long runs: built only where needed.
      const stepIdx = p.checkpoints.length ? new Map(p.steps.step.map((s, i) => [s, i])) : undefined;
      const cy = p.checkpoints.map((c) => smooth[stepIdx?.get(c.step) ?? -1] ?? NaN);
      p.checkpoints.forEach((c, i) => checkpointHits.push({ x: cx[i], path: c.path }));
      tables.push([d1.x, d1.y], [d2.x, d2.y], [vx, p.evals.loss.map(convert)], [cx, cy]);
      series.push(
        { label: `${r.label} raw`, stroke: color + '55', width: 1 },
        { label: `${r.label} smoothed`, stroke: color, width: 2 },
        {
          label: `${r.label} validation`,
          stroke: color,
          width: 0,
          points: { show: true, size: 7, fill: css('--vscode-editor-background', '#1e1e1e'), stroke: color },
          paths: noPath,
        },
        {
          label: `${r.label} checkpoints`,
          stroke: css('--vscode-charts-yellow', '#cca700'),
          width: 0,
          points: { show: true, size: 9, width: 2, fill: css('--vscode-charts-yellow', '#cca700') },
          paths: noPath,
        },
      );
    }
    const u = chart.draw(series, joined(tables), { scales: { x: { time: false } } });
    // Each new uPlot instance has a new overlay to listen on.
    if (!u.over.dataset.wired) {
      u.over.dataset.wired = '1';
      u.over.addEventListener('click', onClick);
    }
  };
  return { chart, draw, reads: ['xAxis', 'logX', 'ftAlign', 'smoothing', 'yMode'] };
}
