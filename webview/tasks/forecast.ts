/**
 * A forecaster run's panels: MAE and RMSE over training with the baselines as flat lines, the
 * validation series with the model's one-step forecasts over it, the forecast past the end of the
 * data, and the residuals. Shown only while a selected run is a forecaster.
 */
import type uPlot from 'uplot';
import type { ForecastPatch } from '../../src/dashboard/protocol';
import { joined, noPath } from '../charts/axes';
import { Chart, ChartView } from '../charts/chart';
import type { SelectedRun } from '../state';

const BASELINE_LABELS: Record<string, string> = {
  naive: 'naive',
  seasonal: 'seasonal naive',
  ar: 'linear AR',
};
const BASELINE_DASH: Record<string, number[]> = { naive: [2, 3], seasonal: [6, 3], ar: [10, 4, 2, 4] };
const GREY = 'rgba(160,160,160,0.9)';

function show(id: string, on: boolean): void {
  const s = document.getElementById(id);
  if (s) s.style.display = on ? '' : 'none';
}

/** Index-based x with the rows' time labels on the axis and in the legend. */
function labelled(times: string[]): [Partial<uPlot.Options>, uPlot.Series] {
  const at = (t: number | null) => (t === null ? '' : (times[Math.round(t)] ?? ''));
  return [
    {
      scales: { x: { time: false } },
      axes: [{ values: (_u, ticks) => ticks.map(at) }, {}],
    },
    { label: 'time', value: (_u, v) => at(v) },
  ];
}

export function forecastCharts(grid: HTMLElement): ChartView[] {
  const errors = new Chart(grid, 'Forecast error (MAE, RMSE) and baselines', 'chart-forecast-error', true);
  // Their x is the series' time, not training progress: the log-x switch leaves them alone.
  const series = new Chart(
    grid,
    'Validation series and one-step forecasts',
    'chart-forecast-series',
    true,
    false,
  );
  const future = new Chart(grid, 'Forecast past the end of the data', 'chart-forecast-future', true, false);
  const residuals = new Chart(
    grid,
    'Residuals (actual − one-step forecast)',
    'chart-forecast-residuals',
    false,
    false,
  );
  const ids = [
    'chart-forecast-error',
    'chart-forecast-series',
    'chart-forecast-future',
    'chart-forecast-residuals',
  ];
  const forecasters = (sel: SelectedRun[]) =>
    sel.filter((s): s is SelectedRun & { p: { forecast: ForecastPatch } } => !!s.p.forecast);

  const drawErrors: ChartView['draw'] = (sel) => {
    const runs = forecasters(sel);
    ids.forEach((id) => show(id, runs.length > 0));
    if (runs.length === 0) return;
    const lines: uPlot.Series[] = [];
    const tables: number[][][] = [];
    for (const { r, p, color } of runs) {
      const { step, mae, rmse } = p.forecast.evals;
      tables.push([step, mae], [step, rmse]);
      lines.push(
        { label: `${r.label} MAE`, stroke: color, width: 2 },
        { label: `${r.label} RMSE`, stroke: color, width: 1, dash: [5, 3] },
      );
      // The baselines do not train: one flat line each at their MAE, across the run's steps.
      for (const b of p.forecast.baselines) {
        const xs = step.length ? [step[0], step[step.length - 1]] : [];
        tables.push([xs, xs.map(() => b.mae)]);
        lines.push({
          label: `${BASELINE_LABELS[b.name] ?? b.name} MAE`,
          stroke: GREY,
          width: 1,
          dash: BASELINE_DASH[b.name],
          points: { show: false },
        });
      }
    }
    errors.draw(lines, joined(tables), { scales: { x: { time: false } } });
  };

  const drawLatest: ChartView['draw'] = (sel) => {
    const run = forecasters(sel).find((s) => s.p.forecast.latest);
    const l = run?.p.forecast.latest;
    if (!run || !l) return;
    const idx = (n: number) => Array.from({ length: n }, (_, i) => i);
    const n = l.series.actual.length;
    series.draw(
      [
        { label: 'actual', stroke: GREY, width: 1.5 },
        { label: `one-step forecast @${l.step}`, stroke: run.color, width: 1.5 },
      ],
      [idx(n), l.series.actual, l.series.oneStep],
      ...labelled(l.series.times),
    );
    const past = l.future.actual.length;
    const all = past + l.future.forecast.length;
    // The forecast line starts at the last actual value so that the two join.
    const fc = [
      ...Array<number | null>(past - 1).fill(null),
      l.future.actual[past - 1],
      ...l.future.forecast,
    ];
    future.draw(
      [
        { label: 'actual', stroke: GREY, width: 1.5 },
        { label: 'forecast', stroke: run.color, width: 2, points: { show: true, size: 5 } },
      ],
      [
        idx(all),
        [...l.future.actual, ...Array<null>(all - past).fill(null)],
        fc,
      ] as unknown as uPlot.AlignedData,
      ...labelled(l.future.times),
    );
    // Read by the end-to-end test: what each chart holds.
    series.section.dataset.points = String(n);
    future.section.dataset.forecast = String(l.future.forecast.length);
    residuals.section.dataset.points = String(l.residuals.length);
    residuals.draw(
      [
        {
          label: 'residual',
          stroke: run.color,
          paths: noPath,
          points: { show: true, size: 4, fill: run.color },
        },
      ],
      [idx(n), l.residuals],
      ...labelled(l.series.times),
    );
  };

  return [
    { chart: errors, draw: drawErrors },
    { chart: series, draw: drawLatest },
    { chart: future, draw: () => undefined },
    { chart: residuals, draw: () => undefined },
  ];
}
