/**
 * SeqLab's training dashboard, running inside the webview. It draws what the host sends
 * (validated against src/dashboard/protocol.ts), batches redraws to animation frames, and keeps
 * its view settings in the webview state so a reload restores them. This file only lays the
 * parts out and wires the host's messages to them.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { parseHostMessage } from '../src/dashboard/protocol';
import type { ChartView } from './charts/chart';
import { gradNormChart } from './charts/gradNorm';
import { heatmapChart } from './charts/heatmap';
import { lossChart } from './charts/loss';
import { rateChart } from './charts/rate';
import { timeGradientsChart } from './charts/timeGradients';
import { forecastCharts } from './tasks/forecast';
import { css, el } from './dom';
import { prepareGrid } from './charts/axes';
import { groupsChart } from './charts/groups';
import { parallelPlot } from './charts/parallel';
import { systemChart } from './charts/system';
import { exportCsv, exportMetrics, exportPng } from './exports';
import { post } from './host';
import { runsTable } from './runsTable';
import { samplesList } from './samples';
import {
  addPatch,
  ChangeCause,
  dataVersion,
  isTaskRun,
  onChange,
  SelectedRun,
  selectedRuns,
  setRuns,
  state,
  ViewSettings,
} from './state';
import { toolbar } from './toolbar';
import { classifyPanels } from './tasks/classify';
import { seq2seqPanels } from './tasks/seq2seq';

const app = document.getElementById('app')!;
const runsBox = el('div', 'runs');
const grid = el('div', 'grid');
const samplesBox = el('div', 'samples');
const samplesHead = el('h3', undefined, 'Samples');
const loss = lossChart(grid);
// A task's panels (classifier, forecaster, translator) come right after the loss; each hides for other runs.
const charts: ChartView[] = [
  loss,
  classifyPanels(grid),
  ...forecastCharts(grid),
  seq2seqPanels(grid),
  gradNormChart(grid),
  timeGradientsChart(grid),
  heatmapChart(grid),
  rateChart(grid),
];
// Drawn apart from the others: grouping changes it alone.
const groups = groupsChart(grid);
charts.push(systemChart(grid));
const parallel = parallelPlot(grid);
const renderRuns = runsTable(runsBox);
const renderSamples = samplesList(samplesBox);
app.append(
  toolbar({ csv: exportCsv, lossPng: () => exportPng(loss.chart, 'loss'), metrics: exportMetrics }),
  runsBox,
  grid,
  samplesHead,
  samplesBox,
);

/**
 * What each part drew from, as last drawn: a part whose inputs did not change is not drawn
 * again, so sorting or filtering the table (or grouping) does not redraw hundreds of curves.
 */
const drawn = new Map<unknown, string>();

/** Every view setting a run chart may read. */
const CHART_SETTINGS: (keyof ViewSettings)[] = ['smoothing', 'yMode', 'logGrad', 'xAxis', 'logX', 'ftAlign'];

/** The inputs of a run chart: the overlaid runs, their data, the view settings it reads. */
function chartInputs(sel: readonly SelectedRun[], reads: (keyof ViewSettings)[]): string {
  return JSON.stringify([
    dataVersion(),
    css('--vscode-foreground', ''),
    reads.map((k) => state.view[k]),
    [...state.training],
    sel.map((s) => [s.r.id, s.r.label, s.color, s.r.parentStep, s.r.config]),
  ]);
}

/** Calls `draw` unless `inputs` are what `part` was last drawn from; says whether it drew. */
function drawIfChanged(part: unknown, inputs: string, draw: () => void): boolean {
  if (drawn.get(part) === inputs) return false;
  drawn.set(part, inputs);
  draw();
  return true;
}

function rebuild(): void {
  const t0 = performance.now();
  const ms: Record<string, number> = {};
  const timed = (name: string, f: () => void) => {
    const t = performance.now();
    f();
    ms[name] = Math.round(performance.now() - t);
  };
  timed('table', renderRuns);
  const sel = selectedRuns();
  const v = state.view;
  // Each part's inputs; prepareGrid (the shared x grid) only when some chart draws.
  let gridReady = false;
  const ready = () => {
    if (!gridReady) prepareGrid(sel);
    gridReady = true;
  };
  for (const c of charts)
    drawIfChanged(c, chartInputs(sel, c.reads ?? CHART_SETTINGS), () =>
      timed(c.chart.section.id, () => (ready(), c.draw(sel))),
    );
  drawIfChanged(
    groups,
    chartInputs(sel, ['smoothing', 'yMode', 'xAxis', 'logX', 'ftAlign', 'groupBy', 'band']),
    () => timed('chart-groups', () => (ready(), groups.draw(sel))),
  );
  drawIfChanged(renderSamples, chartInputs(sel, []), () => renderSamples(sel));
  const parallelInputs = JSON.stringify([
    state.runs,
    v.filter,
    v.selected,
    v.pcMetric,
    css('--vscode-foreground', ''),
  ]);
  drawIfChanged(parallel, parallelInputs, () => timed('parallel', parallel.draw));
  // Classifiers and forecasters write no text samples.
  samplesHead.hidden = samplesBox.hidden = sel.length > 0 && sel.every(isTaskRun);
  document.body.dataset.timings = JSON.stringify(ms);
  // Read by the end-to-end test and handy when profiling: what is drawn and how long it took.
  document.body.dataset.points = String(sel.reduce((a, s) => a + s.p.steps.step.length, 0));
  document.body.dataset.series = String(sel.length);
  // The overlaid runs' step rows as recorded (a long run's charts draw them thinned).
  document.body.dataset.steps = String(
    sel.reduce((a, s) => a + (s.p.sampledFrom ?? s.p.steps.step.length), 0),
  );
  document.body.dataset.renderMs = (performance.now() - t0).toFixed(1);
}

// Live updates arrive in batches; drawing happens at most once per animation frame. While the
// host streams runs in (hundreds of them on a first load), data alone redraws at most a quarter of
// the time, so the redraws of 200 curves do not starve the messages bringing the rest; a user's
// change (toggle, sort, group) still draws on the next frame.
let pending = false;
let lastDrawEnd = 0;
let lastDrawMs = 0;
let dataTimer: number | undefined;
function schedule(cause?: ChangeCause): void {
  if (cause === 'data') {
    const wait = lastDrawEnd + 3 * lastDrawMs - performance.now();
    if (wait > 0) {
      dataTimer ??= window.setTimeout(() => {
        dataTimer = undefined;
        schedule();
      }, wait);
      return;
    }
  }
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    const t0 = performance.now();
    rebuild();
    lastDrawEnd = performance.now();
    lastDrawMs = lastDrawEnd - t0;
  });
}
onChange(schedule);
// A theme change restyles the page but sends no message: a finished run's charts kept the old
// theme's colours (light-grey axes on white) until something else redrew them.
const themeWatch = new MutationObserver(() => schedule());
themeWatch.observe(document.body, { attributes: true, attributeFilter: ['class'] });
themeWatch.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });

window.addEventListener('message', (ev: MessageEvent) => {
  const m = parseHostMessage(ev.data);
  if (!m) {
    console.warn('SeqLab dashboard: dropped a malformed message', ev.data);
    return;
  }
  if (m.type === 'runs') setRuns(m.runs, m.training, m.selected);
  else addPatch(m.patch);
});
window.addEventListener('resize', () => {
  // A new size needs new canvases: drop the instances and redraw.
  for (const c of [...charts, groups]) c.chart.reset();
  drawn.clear();
  schedule();
});
// The saved selection travels with 'ready': the host decides, so that a dashboard opened on
// particular runs (compare cells, a run's menu) is not overridden by the one saved before.
post({ type: 'ready', selected: state.view.selected });
