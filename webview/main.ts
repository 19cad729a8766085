/**
 * SeqLab's training dashboard, running inside the webview. It draws what the host sends
 * (validated against src/dashboard/protocol.ts), batches redraws to animation frames, and keeps
 * its view settings in the webview state so a reload restores them.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { parseHostMessage, RunSummary, SeriesPatch, WebviewMessage } from '../src/dashboard/protocol';
import { downsampleMinMax, ema, emptyPatch, toCsv } from '../src/dashboard/series';
import { button, checkbox, dataGrid, dropdown, progressRing } from './controls';

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
  grad: panel('Gradient norm before clipping (per layer: thin)', 'chart-grad'),
  time: panel('Gradients through time: ‖∂L_T/∂h_t‖ at the latest recorded step', 'chart-time'),
  heat: panel('‖∂L_T/∂h_t‖ over training (layer 0; colour: log scale)', 'chart-heat'),
  rate: panel('Learning rate and tokens/s', 'chart-rate'),
};
type ChartKey = keyof typeof panels;

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
      schedule();
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
      schedule();
    },
  ),
  checkbox('Log scale (gradient norm)', view.logGrad, (c) => {
    view.logGrad = c;
    persist();
    schedule();
  }),
  button('Export CSV', exportCsv),
  button('Export loss chart (PNG)', () => exportPng('loss')),
);

// ---- runs table ----
let runsSig = '';
function renderRuns(): void {
  const sig = JSON.stringify([runs, [...training], view.selected, css('--vscode-foreground', '')]);
  if (sig === runsSig) return;
  runsSig = sig;
  runsBox.replaceChildren();
  if (runs.length === 0) {
    runsBox.append(el('p', 'empty', 'No runs yet: train a model with "SeqLab: Train RNN on Folder".'));
    return;
  }
  const rows = runs.map((r) => {
    const pick = checkbox('', view.selected.includes(r.id), (c) => {
      view.selected = c ? [...view.selected, r.id] : view.selected.filter((x) => x !== r.id);
      persist();
      vscode.postMessage({ type: 'select', runIds: view.selected });
      schedule();
    });
    pick.setAttribute('aria-label', `overlay ${r.label}`);
    const state = el('span', 'state');
    if (training.has(r.id)) {
      const ring = progressRing();
      ring.classList.add('ring');
      state.append(ring, ' training');
    } else state.textContent = r.state;
    const stop = training.has(r.id)
      ? button('Stop run', () => vscode.postMessage({ type: 'stopRun', runId: r.id }))
      : '';
    const name = el('span', 'run-name');
    const idx = view.selected.indexOf(r.id);
    if (idx >= 0) {
      const sw = el('span', 'swatch');
      sw.style.background = palette()[idx % palette().length];
      name.append(sw);
    }
    name.append(r.label);
    return [pick, name, r.cell, `${r.layers}×${r.hidden}`, r.tokenizer, r.parent ?? '—', state, stop];
  });
  runsBox.append(
    dataGrid(
      ['', 'run', 'cell', 'size', 'tokenizer', 'parent', 'state', ''],
      // Minimum widths keep words whole in a narrow panel (it scrolls sideways instead).
      '44px minmax(160px, 2fr) minmax(52px, 0.7fr) minmax(64px, 0.7fr) minmax(72px, 0.8fr) minmax(90px, 1.6fr) minmax(76px, 1fr) 110px',
      rows,
    ),
  );
}

// ---- charts ----
interface Slot {
  u: uPlot;
  sig: string;
}
const slots: Partial<Record<ChartKey, Slot>> = {};

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

function joined(tables: number[][][]): uPlot.AlignedData {
  if (tables.length === 0) return [[]];
  return uPlot.join(tables as unknown as uPlot.AlignedData[]) as uPlot.AlignedData;
}

function size(plot: HTMLElement): { width: number; height: number } {
  return { width: Math.max(280, plot.clientWidth - 4), height: 220 };
}

function axisStyle(): uPlot.Axis {
  const fg = css('--vscode-foreground', '#ccc');
  const gridc = css('--vscode-editorWidget-border', '#444');
  return { stroke: fg, grid: { stroke: gridc, width: 0.5 }, ticks: { stroke: gridc, width: 0.5 } };
}

/** Reuses the uPlot instance (setData) while the series stay the same; rebuilds it otherwise. */
function draw(
  key: ChartKey,
  series: uPlot.Series[],
  d: uPlot.AlignedData,
  opts: Partial<uPlot.Options> = {},
): uPlot {
  const sig = JSON.stringify([
    series.map((s) => s.label),
    view.xAxis,
    view.yMode,
    view.logGrad,
    css('--vscode-foreground', ''),
  ]);
  const slot = slots[key];
  if (slot && slot.sig === sig) {
    slot.u.setData(d);
    return slot.u;
  }
  slot?.u.destroy();
  const plot = panels[key];
  plot.replaceChildren();
  const ax = axisStyle();
  const axes = (opts.axes ?? [{}, {}]).map((a, i) => ({ ...ax, ...(i > 0 ? { size: 64 } : {}), ...a }));
  const u = new uPlot(
    {
      ...size(plot),
      // One colour per run, shown in the runs table; the time chart keeps its per-layer legend.
      legend: { show: key === 'time' },
      cursor: { drag: { x: true, y: false } },
      ...opts,
      series: [{ label: view.xAxis }, ...series],
      axes,
    },
    d,
    plot,
  );
  slots[key] = { u, sig };
  return u;
}

function selectedRuns(): { r: RunSummary; p: SeriesPatch; color: string }[] {
  const colors = palette();
  return view.selected
    .map((id) => runs.find((r) => r.id === id))
    .filter((r): r is RunSummary => !!r)
    .map((r, i) => ({ r, p: data.get(r.id) ?? emptyPatch(r.id, true), color: colors[i % colors.length] }));
}

const noPath = (): null => null;
let checkpointHits: { x: number; path: string }[] = [];

function drawLoss(sel: ReturnType<typeof selectedRuns>): void {
  const series: uPlot.Series[] = [];
  const tables: number[][][] = [];
  checkpointHits = [];
  for (const { r, p, color } of sel) {
    const x = xOf(p);
    const raw = p.steps.loss.map(convert);
    const smooth = ema(p.steps.loss, view.smoothing).map(convert);
    const d1 = downsampleMinMax(x, raw, MAX_POINTS / 2);
    const d2 = downsampleMinMax(x, smooth, MAX_POINTS / 2);
    const vx = xAtSteps(p, p.evals.step);
    const cx = xAtSteps(
      p,
      p.checkpoints.map((c) => c.step),
    );
    const stepIdx = new Map(p.steps.step.map((s, i) => [s, i]));
    const cy = p.checkpoints.map((c) => smooth[stepIdx.get(c.step) ?? -1] ?? NaN);
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
  const u = draw('loss', series, joined(tables), { scales: { x: { time: false } } });
  // A click near a checkpoint marker opens that checkpoint in the Checkpoints tree.
  if (!u.over.dataset.wired) {
    u.over.dataset.wired = '1';
    u.over.addEventListener('click', (ev: MouseEvent) => {
      const cur = slots.loss?.u;
      if (!cur) return;
      const xv = cur.posToVal(ev.offsetX, 'x');
      const tol = Math.abs(cur.posToVal(8, 'x') - cur.posToVal(0, 'x'));
      const hit = checkpointHits
        .filter((h) => Math.abs(h.x - xv) <= tol)
        .sort((a, b) => Math.abs(a.x - xv) - Math.abs(b.x - xv))[0];
      if (hit) vscode.postMessage({ type: 'openCheckpoint', path: hit.path });
    });
  }
}

function drawGrad(sel: ReturnType<typeof selectedRuns>): void {
  const series: uPlot.Series[] = [];
  const tables: number[][][] = [];
  const red = css('--vscode-charts-red', '#f14c4c');
  for (const { r, p, color } of sel) {
    const x = xOf(p);
    const d = downsampleMinMax(x, p.steps.gradNorm, MAX_POINTS / 2);
    const clippedIdx = p.steps.clipped.flatMap((c, i) => (c ? [i] : []));
    const cx = downsampleMinMax(
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
      const l = downsampleMinMax(x, col, MAX_POINTS / 4);
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
  draw('grad', series, joined(tables), {
    scales: { x: { time: false }, y: { distr: view.logGrad ? 3 : 1 } },
  });
}

function latestProfiles(sel: ReturnType<typeof selectedRuns>) {
  // The run that is training, if any: its profile is the one changing.
  const ordered = [...sel.filter((s) => training.has(s.r.id)), ...sel.filter((s) => !training.has(s.r.id))];
  const first = ordered.find((s) => s.p.timestepGradients.length);
  return first ? { run: first, records: first.p.timestepGradients } : undefined;
}

function drawTime(sel: ReturnType<typeof selectedRuns>): void {
  const prof = latestProfiles(sel);
  const tg = prof?.records[prof.records.length - 1];
  const series: uPlot.Series[] = [];
  let d: uPlot.AlignedData = [[]];
  if (tg) {
    const colors = palette();
    d = [Array.from({ length: tg.norms[0]?.length ?? 0 }, (_, i) => i + 1), ...tg.norms];
    tg.norms.forEach((_, l) =>
      series.push({ label: `layer ${l}`, stroke: colors[l % colors.length], width: 2 }),
    );
  }
  draw('time', series, d, {
    scales: { x: { time: false }, y: { distr: 3 } },
    // Vanishing gradients span many decades: label them as powers of ten, never as "0".
    axes: [
      { label: `t (step ${tg?.step ?? '–'})` },
      { values: (_u: unknown, vals: number[]) => vals.map(sci) },
    ],
  });
}

/** Axis label for a value on a log scale: 0.01, 0.1, 1, 10 as they are; 1e-5 and 1e+4 beyond. */
function sci(v: number | null): string {
  if (v == null) return '';
  return v >= 0.01 && v < 1000 ? String(+v.toPrecision(2)) : v.toExponential(0);
}

/** A colour from dark blue (small) through teal to yellow (large), for u in [0, 1]. */
function heatColor(u: number): string {
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

function drawHeat(sel: ReturnType<typeof selectedRuns>): void {
  const prof = latestProfiles(sel);
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
  const paint = (u: uPlot) => {
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
  const u = draw('heat', [{ label, stroke: 'transparent' }], d, {
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
    hooks: { draw: [(x: uPlot) => heatPaint(x)] },
  });
  heatPaint = paint;
  u.redraw(false);
}
let heatPaint: (u: uPlot) => void = () => undefined;

function drawRate(sel: ReturnType<typeof selectedRuns>): void {
  const series: uPlot.Series[] = [];
  const tables: number[][][] = [];
  for (const { r, p, color } of sel) {
    const x = xOf(p);
    const lr = downsampleMinMax(x, p.steps.lr, MAX_POINTS / 2);
    const tps = downsampleMinMax(x, ema(p.steps.tokensPerSec, 0.9), MAX_POINTS / 2);
    tables.push([lr.x, lr.y], [tps.x, tps.y]);
    series.push(
      { label: `${r.label} lr`, stroke: color, width: 1.5, scale: 'lr' },
      { label: `${r.label} tok/s`, stroke: color, dash: [4, 3], width: 1, scale: 'tps' },
    );
  }
  draw('rate', series, joined(tables), {
    scales: { x: { time: false }, lr: {}, tps: {} },
    axes: [{}, { scale: 'lr', size: 70 }, { scale: 'tps', side: 1, size: 60 }],
  });
}

let samplesSig = '';
function renderSamples(sel: ReturnType<typeof selectedRuns>): void {
  const items = sel.flatMap(({ r, p }) =>
    p.samples
      .slice(-5)
      .reverse()
      .map((s) => ({ r, s })),
  );
  const sig = JSON.stringify(items.map(({ r, s }) => [r.id, s.step]));
  if (sig === samplesSig) return;
  samplesSig = sig;
  samplesBox.replaceChildren();
  for (const { r, s } of items) {
    const item = el('div', 'sample');
    item.append(el('div', 'sample-head', `${r.label} · step ${s.step}`));
    // Text only: nothing from metrics.jsonl or a sample is ever parsed as HTML.
    item.append(el('pre', undefined, s.text));
    samplesBox.append(item);
  }
  if (!items.length) samplesBox.append(el('p', 'empty', 'Samples appear at each evaluation.'));
}

function exportCsv(): void {
  const cols: (number | string | null)[][] = [[], [], [], [], [], [], [], [], [], []];
  for (const { r, p } of selectedRuns()) {
    const sm = ema(p.steps.loss, view.smoothing);
    p.steps.step.forEach((s, i) => {
      const row = [
        r.label,
        s,
        p.steps.tokensSeen[i],
        p.steps.elapsed[i],
        p.steps.loss[i],
        sm[i],
        p.steps.gradNorm[i],
        p.steps.clipped[i],
        p.steps.lr[i],
        p.steps.tokensPerSec[i],
      ];
      row.forEach((v, k) => cols[k].push(v));
    });
  }
  const csv = toCsv(
    [
      'run',
      'step',
      'tokens_seen',
      'elapsed_s',
      'loss',
      'loss_smoothed',
      'grad_norm',
      'clipped',
      'lr',
      'tokens_per_s',
    ],
    cols,
  );
  vscode.postMessage({ type: 'saveFile', name: 'seqlab-runs.csv', kind: 'csv', data: csv });
}

function exportPng(key: ChartKey): void {
  const u = slots[key]?.u;
  if (!u) return;
  const url = u.ctx.canvas.toDataURL('image/png');
  vscode.postMessage({
    type: 'saveFile',
    name: `seqlab-${key}.png`,
    kind: 'png',
    data: url.slice(url.indexOf(',') + 1),
  });
}

function rebuild(): void {
  const t0 = performance.now();
  renderRuns();
  const sel = selectedRuns();
  drawLoss(sel);
  drawGrad(sel);
  drawTime(sel);
  drawHeat(sel);
  drawRate(sel);
  renderSamples(sel);
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
    const n = have.steps.step.length;
    for (const k of [
      'step',
      'loss',
      'gradNorm',
      'clipped',
      'lr',
      'tokensPerSec',
      'tokensSeen',
      'elapsed',
    ] as const)
      have.steps[k].push(...p.steps[k]);
    for (const [g, col] of Object.entries(p.steps.layerNorms))
      (have.steps.layerNorms[g] ??= new Array<number>(n).fill(NaN)).push(...col);
    for (const col of Object.values(have.steps.layerNorms))
      while (col.length < have.steps.step.length) col.push(NaN);
    for (const k of Object.keys(p.evals) as (keyof SeriesPatch['evals'])[]) have.evals[k].push(...p.evals[k]);
    have.timestepGradients.push(...p.timestepGradients);
    have.samples.push(...p.samples);
    have.checkpoints.push(...p.checkpoints);
  }
  schedule();
});
window.addEventListener('resize', () => {
  // A new size needs new canvases: drop the instances and redraw.
  for (const k of Object.keys(slots) as ChartKey[]) slots[k]?.u.destroy();
  for (const k of Object.keys(slots) as ChartKey[]) delete slots[k];
  schedule();
});
// The saved selection travels with 'ready': the host decides, so that a dashboard opened on
// particular runs (compare cells, a run's menu) is not overridden by the one saved before.
vscode.postMessage({ type: 'ready', selected: view.selected });
