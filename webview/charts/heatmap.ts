/** ‖∂L_T/∂h_t‖ of layer 0 over training: one row per recorded step, colour on a log scale. */
import type uPlot from 'uplot';
import { Chart, ChartView } from './chart';
import { latestProfiles, noProfiles } from './timeGradients';

/** A colour from dark blue (small) through teal to yellow (large), for u in [0, 1]. */
export function heatColor(u: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const f = Math.min(0.9999, Math.max(0, u)) * (stops.length - 1);
  const i = Math.floor(f);
  const t = f - i;
  const c = stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * t));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export function heatmapChart(grid: HTMLElement): ChartView {
  const chart = new Chart(
    grid,
    '‖∂L_T/∂h_t‖ over training (layer 0; colour: log scale)',
    'chart-heat',
    false,
    false,
  );
  /** Paints the latest data; uPlot's draw hook calls it, whichever instance is current. */
  let paint: (u: uPlot) => void = () => undefined;
  const draw: ChartView['draw'] = (sel) => {
    const prof = latestProfiles(sel);
    chart.section.hidden = noProfiles(sel);
    const recs = (prof?.records ?? []).filter((r) => r.norms[0]?.length);
    const T = recs[0]?.norms[0].length ?? 0;
    const steps = recs.map((r) => r.step);
    let lo = Infinity;
    let hi = -Infinity;
    for (const r of recs)
      for (const v of r.norms[0])
        if (v > 0) {
          lo = Math.min(lo, Math.log10(v));
          hi = Math.max(hi, Math.log10(v));
        }
    const d: uPlot.AlignedData = [
      Array.from({ length: T }, (_, i) => i + 1),
      Array.from({ length: T }, () => null),
    ];
    // The cells are painted in uPlot's draw hook, on its canvas and with its scales.
    const paintNow = (u: uPlot) => {
      if (!recs.length) return;
      const ctx = u.ctx;
      ctx.save();
      for (let k = 0; k < recs.length; k++) {
        const yTop = u.valToPos(k + 1, 'y', true);
        const yBot = u.valToPos(k, 'y', true);
        for (let t = 0; t < T; t++) {
          const v = recs[k].norms[0][t];
          const x0 = u.valToPos(t + 0.5, 'x', true);
          const x1 = u.valToPos(t + 1.5, 'x', true);
          ctx.fillStyle = v > 0 && hi > lo ? heatColor((Math.log10(v) - lo) / (hi - lo)) : heatColor(0);
          ctx.fillRect(x0, yTop, x1 - x0 + 0.5, yBot - yTop + 0.5);
        }
      }
      ctx.restore();
    };
    const label = recs.length
      ? `colour: log₁₀ ‖∂L_T/∂h_t‖ from ${lo.toFixed(1)} to ${hi.toFixed(1)}`
      : 'no gradient profiles yet';
    const u = chart.draw([{ label, stroke: 'transparent' }], d, {
      scales: {
        x: { time: false, range: [0.5, T + 0.5] },
        y: { time: false, range: [0, Math.max(1, recs.length)] },
      },
      axes: [
        { label: 't (timestep)' },
        {
          values: (_u, vals) =>
            vals.map((v) => (Number.isInteger(v) && steps[v] !== undefined ? String(steps[v]) : '')),
          label: 'training step',
        },
      ],
      hooks: { draw: [(x: uPlot) => paint(x)] },
    });
    paint = paintNow;
    u.redraw(false);
  };
  return { chart, draw };
}
