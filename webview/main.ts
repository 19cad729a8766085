/**
 * SeqLab's training dashboard, running inside the webview. It draws what the host sends
 * (validated against src/dashboard/protocol.ts), batches redraws to animation frames, and keeps
 * its view settings in the webview state so a reload restores them.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { parseHostMessage, RunSummary, SeriesPatch, WebviewMessage } from '../src/dashboard/protocol';
import { downsampleMinMax, ema, emptyPatch } from '../src/dashboard/series';
import { button, checkbox, dropdown } from './controls';

declare function acquireVsCodeApi(): {
  postMessage(m: WebviewMessage): void;
  getState(): unknown;
  setState(s: unknown): void;
};
const vscode = acquireVsCodeApi();

interface ViewState {
  smoothing: number;
  yMode: 'loss' | 'perplexity' | 'bpc';
  logGrad: boolean;
  xAxis: 'step' | 'tokens' | 'time';
  selected: string[];
}
const saved = (vscode.getState() ?? {}) as Partial<ViewState>;
const view: ViewState = {
  smoothing: 0.6,
  yMode: 'loss',
  logGrad: false,
  xAxis: 'step',
  selected: [],
  ...saved,
};
const persist = () => vscode.setState(view);

let runs: RunSummary[] = [];
let training = new Set<string>();
const data = new Map<string, SeriesPatch>();
const MAX_POINTS = 2000;
const LN2 = Math.log(2);

const css = (name: string, fallback: string) =>
  getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
const palette = () =>
  [
    '--vscode-charts-blue',
    '--vscode-charts-orange',
    '--vscode-charts-green',
    '--vscode-charts-purple',
    '--vscode-charts-red',
    '--vscode-charts-yellow',
  ].map((v, i) => css(v, ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700'][i]));

const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls?: string,
  text?: string,
): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

// ---- layout ----
const app = document.getElementById('app')!;
const toolbar = el('div', 'toolbar');
const runsBox = el('div', 'runs');
const grid = el('div', 'grid');
const samplesBox = el('div', 'samples');
app.append(toolbar, runsBox, grid, el('h3', undefined, 'Samples'), samplesBox);

const panels = {
  loss: panel('Loss', 'chart-loss'),
  grad: panel('Gradient norm (before clipping)', 'chart-grad'),
  time: panel('Gradients through time: ‖∂L/∂h_t‖ at the latest recorded step', 'chart-time'),
  rate: panel('Learning rate and tokens/s', 'chart-rate'),
};

function panel(title: string, id: string): HTMLElement {
  const box = el('section', 'panel');
  box.id = id;
  box.append(el('h3', undefined, title));
  const plot = el('div', 'plot');
  box.append(plot);
  grid.append(box);
  return plot;
}

const smoothLabel = el('label', 'smooth');
const slider = el('input');
slider.type = 'range';
slider.min = '0';
slider.max = '0.999';
slider.step = '0.001';
slider.value = String(view.smoothing);
const smoothValue = el('span', undefined, view.smoothing.toFixed(3));
slider.addEventListener('input', () => {
  view.smoothing = Number(slider.value);
  smoothValue.textContent = view.smoothing.toFixed(3);
  persist();
  schedule();
});
smoothLabel.append('Smoothing ', slider, smoothValue);
toolbar.append(
  smoothLabel,
  dropdown(
    [
      ['loss', 'Loss (nats)'],
      ['perplexity', 'Perplexity'],
      ['bpc', 'Bits per character'],
    ],
    view.yMode,
    (v) => {
      view.yMode = v as ViewState['yMode'];
      persist();
      rebuild();
    },
  ),
  dropdown(
    [
      ['step', 'x: step'],
      ['tokens', 'x: tokens seen'],
      ['time', 'x: wall time (s)'],
    ],
    view.xAxis,
    (v) => {
      view.xAxis = v as ViewState['xAxis'];
      persist();
      rebuild();
    },
  ),
  checkbox('Log scale (gradient norm)', view.logGrad, (c) => {
    view.logGrad = c;
    persist();
    rebuild();
  }),
);

// ---- runs table ----
function renderRuns(): void {
  runsBox.replaceChildren();
  const table = el('table', 'runs-table');
  const head = el('tr');
  for (const h of ['', 'run', 'cell', 'size', 'tokenizer', 'parent', 'state', ''])
    head.append(el('th', undefined, h));
  table.append(head);
  runs.forEach((r) => {
    const tr = el('tr');
    const pick = el('td');
    pick.append(
      checkbox('', view.selected.includes(r.id), (c) => {
        view.selected = c ? [...view.selected, r.id] : view.selected.filter((x) => x !== r.id);
        persist();
        vscode.postMessage({ type: 'select', runIds: view.selected });
        rebuild();
      }),
    );
    const stop = el('td');
    if (training.has(r.id))
      stop.append(button('Stop run', () => vscode.postMessage({ type: 'stopRun', runId: r.id })));
    tr.append(
      pick,
      el('td', 'run-label', r.label),
      el('td', undefined, r.cell),
      el('td', undefined, `${r.layers}×${r.hidden}`),
      el('td', undefined, r.tokenizer),
      el('td', undefined, r.parent ?? '—'),
      el('td', undefined, training.has(r.id) ? 'training' : r.state),
      stop,
    );
    table.append(tr);
  });
  if (runs.length === 0)
    runsBox.append(el('p', 'empty', 'No runs yet: train a model with "SeqLab: Train RNN on Folder".'));
  else runsBox.append(table);
}

// ---- charts ----
const charts: Partial<Record<keyof typeof panels, uPlot>> = {};

function xOf(p: SeriesPatch): number[] {
  return view.xAxis === 'tokens'
    ? p.steps.tokensSeen
    : view.xAxis === 'time'
      ? p.steps.elapsed
      : p.steps.step;
}

function xAtSteps(p: SeriesPatch, steps: number[]): number[] {
  if (view.xAxis === 'step') return steps;
  const idx = new Map(p.steps.step.map((s, i) => [s, i]));
  const col = view.xAxis === 'tokens' ? p.steps.tokensSeen : p.steps.elapsed;
  return steps.map((s) => col[idx.get(s) ?? -1] ?? NaN);
}

function convert(nats: number): number {
  return view.yMode === 'perplexity' ? Math.exp(nats) : view.yMode === 'bpc' ? nats / LN2 : nats;
}

/** Joins per-run tables on x (uPlot.join), with min/max downsampling for long runs. */
function joined(tables: [number[], ...number[][]][]): uPlot.AlignedData {
  if (tables.length === 0) return [[]];
  return uPlot.join(tables.map((t) => t as unknown as uPlot.AlignedData)) as uPlot.AlignedData;
}

function size(plot: HTMLElement): { width: number; height: number } {
  return { width: Math.max(280, plot.clientWidth - 4), height: 220 };
}

function axisColors(): Partial<uPlot.Axis> {
  const fg = css('--vscode-foreground', '#ccc');
  const gridc = css('--vscode-editorWidget-border', '#444');
  return { stroke: fg, grid: { stroke: gridc, width: 0.5 }, ticks: { stroke: gridc, width: 0.5 } };
}

function makeChart(
  key: keyof typeof panels,
  series: uPlot.Series[],
  d: uPlot.AlignedData,
  opts: Partial<uPlot.Options> = {},
): void {
  charts[key]?.destroy();
  const plot = panels[key];
  plot.replaceChildren();
  const ax = axisColors();
  charts[key] = new uPlot(
    {
      ...size(plot),
      series: [{ label: view.xAxis }, ...series],
      axes: [{ ...ax }, { ...ax, size: 60 }, ...(opts.axes ?? []).slice(2)],
      legend: { show: true },
      cursor: { drag: { x: true, y: false } },
      ...opts,
      ...(opts.axes
        ? {
            axes: [
              { ...ax },
              { ...ax, size: 60, ...(opts.axes[1] ?? {}) },
              ...opts.axes.slice(2).map((a) => ({ ...ax, ...a })),
            ],
          }
        : {}),
    },
    d,
    plot,
  );
}

function selectedRuns(): { r: RunSummary; p: SeriesPatch; color: string }[] {
  const colors = palette();
  return view.selected
    .map((id) => runs.find((r) => r.id === id))
    .filter((r): r is RunSummary => !!r)
    .map((r, i) => ({ r, p: data.get(r.id) ?? emptyPatch(r.id, true), color: colors[i % colors.length] }));
}

function lossCharts(): void {
  const sel = selectedRuns();
  const series: uPlot.Series[] = [];
  const tables: [number[], ...number[][]][] = [];
  for (const { r, p, color } of sel) {
    const x = xOf(p);
    const raw = p.steps.loss.map(convert);
    const smooth = ema(p.steps.loss, view.smoothing).map(convert);
    const d1 = downsampleMinMax(x, raw, MAX_POINTS / 2);
    const d2 = downsampleMinMax(x, smooth, MAX_POINTS / 2);
    const vx = xAtSteps(p, p.evals.step);
    tables.push([d1.x, d1.y], [d2.x, d2.y], [vx, p.evals.loss.map(convert)]);
    series.push(
      { label: `${r.label} (raw)`, stroke: color + '55', width: 1 },
      { label: `${r.label} (smoothed)`, stroke: color, width: 2 },
      {
        label: `${r.label} (validation)`,
        stroke: color,
        width: 0,
        points: { show: true, size: 7, fill: css('--vscode-editor-background', '#1e1e1e'), stroke: color },
        paths: () => null,
      },
    );
  }
  makeChart('loss', series, joined(tables), { scales: { x: { time: false } } });

  const gseries: uPlot.Series[] = [];
  const gtables: [number[], ...number[][]][] = [];
  for (const { r, p, color } of sel) {
    const x = xOf(p);
    const d = downsampleMinMax(x, p.steps.gradNorm, MAX_POINTS / 2);
    const clippedX = x.filter((_, i) => p.steps.clipped[i]);
    const clippedY = p.steps.gradNorm.filter((_, i) => p.steps.clipped[i]);
    const cx = downsampleMinMax(clippedX, clippedY, MAX_POINTS / 4);
    gtables.push([d.x, d.y], [cx.x, cx.y]);
    gseries.push(
      { label: r.label, stroke: color, width: 1.5 },
      {
        label: `${r.label} clipped`,
        stroke: css('--vscode-charts-red', '#f14c4c'),
        width: 0,
        points: { show: true, size: 5 },
        paths: () => null,
      },
    );
    if (r.clip > 0 && x.length) {
      gtables.push([
        [x[0], x[x.length - 1]],
        [r.clip, r.clip],
      ]);
      gseries.push({
        label: `clip ${r.clip}`,
        stroke: css('--vscode-charts-red', '#f14c4c'),
        dash: [6, 4],
        width: 1,
      });
    }
  }
  makeChart('grad', gseries, joined(gtables), {
    scales: { x: { time: false }, y: { distr: view.logGrad ? 3 : 1 } },
  });

  // Gradients through time: the latest profile of the first selected run, one line per layer.
  const first = sel.find((s) => s.p.timestepGradients.length);
  const tg = first?.p.timestepGradients[first.p.timestepGradients.length - 1];
  const tseries: uPlot.Series[] = [];
  let td: uPlot.AlignedData = [[]];
  if (tg && first) {
    const T = tg.norms[0]?.length ?? 0;
    const colors = palette();
    td = [Array.from({ length: T }, (_, i) => i + 1), ...tg.norms];
    tg.norms.forEach((_, l) =>
      tseries.push({ label: `layer ${l} @ step ${tg.step}`, stroke: colors[l % colors.length], width: 2 }),
    );
  }
  charts.time?.destroy();
  const ax = axisColors();
  panels.time.replaceChildren();
  charts.time = new uPlot(
    {
      ...size(panels.time),
      series: [{ label: 't' }, ...tseries],
      scales: { x: { time: false }, y: { distr: 3 } },
      axes: [
        { ...ax, label: 't (timestep)' },
        { ...ax, size: 60 },
      ],
    },
    td,
    panels.time,
  );

  const rseries: uPlot.Series[] = [];
  const rtables: [number[], ...number[][]][] = [];
  for (const { r, p, color } of sel) {
    const x = xOf(p);
    const lr = downsampleMinMax(x, p.steps.lr, MAX_POINTS / 2);
    const tps = downsampleMinMax(x, ema(p.steps.tokensPerSec, 0.9), MAX_POINTS / 2);
    rtables.push([lr.x, lr.y], [tps.x, tps.y]);
    rseries.push(
      { label: `${r.label} lr`, stroke: color, width: 1.5, scale: 'lr' },
      { label: `${r.label} tok/s`, stroke: color, dash: [4, 3], width: 1, scale: 'tps' },
    );
  }
  makeChart('rate', rseries, joined(rtables), {
    scales: { x: { time: false }, lr: {}, tps: {} },
    axes: [{}, { scale: 'lr', size: 70 }, { scale: 'tps', side: 1, size: 60 }],
  });
}

function renderSamples(): void {
  samplesBox.replaceChildren();
  for (const { r, p } of selectedRuns()) {
    for (const s of p.samples.slice(-5).reverse()) {
      const item = el('div', 'sample');
      item.append(el('div', 'sample-head', `${r.label} · step ${s.step}`));
      // Text only: nothing from metrics.jsonl or a sample is ever parsed as HTML.
      item.append(el('pre', undefined, s.text));
      samplesBox.append(item);
    }
  }
  if (!samplesBox.childElementCount)
    samplesBox.append(el('p', 'empty', 'Samples appear at each evaluation.'));
}

function rebuild(): void {
  renderRuns();
  lossCharts();
  renderSamples();
  document.body.dataset.points = String(selectedRuns().reduce((a, s) => a + s.p.steps.step.length, 0));
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

window.addEventListener('message', (ev: MessageEvent) => {
  const m = parseHostMessage(ev.data);
  if (!m) {
    console.warn('SeqLab dashboard: dropped a malformed message', ev.data);
    return;
  }
  if (m.type === 'runs') {
    runs = m.runs;
    training = new Set(m.training);
    if (m.selected.length) view.selected = m.selected.filter((id) => runs.some((r) => r.id === id));
    persist();
    schedule();
    return;
  }
  const p = m.patch;
  const have = data.get(p.runId);
  if (p.reset || !have) data.set(p.runId, p);
  else {
    for (const k of Object.keys(p.steps) as (keyof SeriesPatch['steps'])[]) have.steps[k].push(...p.steps[k]);
    for (const k of Object.keys(p.evals) as (keyof SeriesPatch['evals'])[]) have.evals[k].push(...p.evals[k]);
    have.timestepGradients.push(...p.timestepGradients);
    have.samples.push(...p.samples);
    have.checkpoints.push(...p.checkpoints);
  }
  schedule();
});
window.addEventListener('resize', schedule);
vscode.postMessage({ type: 'ready' });
if (view.selected.length) vscode.postMessage({ type: 'select', runIds: view.selected });
