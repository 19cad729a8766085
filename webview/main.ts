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
import { el } from './dom';
import { prepareGrid } from './charts/axes';
import { groupsChart } from './charts/groups';
import { parallelPlot } from './charts/parallel';
import { systemChart } from './charts/system';
import { exportCsv, exportMetrics, exportPng } from './exports';
import { post } from './host';
import { runsTable } from './runsTable';
import { samplesList } from './samples';
import { addPatch, onChange, selectedRuns, setRuns, state } from './state';
import { toolbar } from './toolbar';
import { classifyPanels } from './tasks/classify';
import { seq2seqPanels } from './tasks/seq2seq';

const app = document.getElementById('app')!;
const runsBox = el('div', 'runs');
const grid = el('div', 'grid');
const samplesBox = el('div', 'samples');
const classifyBox = el('div', 'classify');
const loss = lossChart(grid);
const charts: ChartView[] = [
  loss,
  gradNormChart(grid),
  timeGradientsChart(grid),
  heatmapChart(grid),
  rateChart(grid),
  classifyPanels(grid, classifyBox),
  groupsChart(grid),
  systemChart(grid),
  ...forecastCharts(grid),
  seq2seqPanels(grid),
];
const parallel = parallelPlot(grid);
const renderRuns = runsTable(runsBox);
const renderSamples = samplesList(samplesBox);
app.append(
  toolbar({ csv: exportCsv, lossPng: () => exportPng(loss.chart, 'loss'), metrics: exportMetrics }),
  runsBox,
  grid,
  classifyBox,
  el('h3', undefined, 'Samples'),
  samplesBox,
);

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
  prepareGrid(sel);
  for (const c of charts) timed(c.chart.section.id, () => c.draw(sel));
  timed('parallel', parallel.draw);
  renderSamples(sel);
  document.body.dataset.timings = JSON.stringify(ms);
  // Read by the end-to-end test and handy when profiling: what is drawn and how long it took.
  document.body.dataset.points = String(sel.reduce((a, s) => a + s.p.steps.step.length, 0));
  document.body.dataset.series = String(sel.length);
  document.body.dataset.renderMs = (performance.now() - t0).toFixed(1);
}

// Live updates arrive in batches; drawing happens at most once per animation frame.
let pending = false;
function schedule(): void {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    rebuild();
  });
}
onChange(schedule);

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
  for (const c of charts) c.chart.reset();
  schedule();
});
// The saved selection travels with 'ready': the host decides, so that a dashboard opened on
// particular runs (compare cells, a run's menu) is not overridden by the one saved before.
post({ type: 'ready', selected: state.view.selected });
