/**
 * SeqLab's Units view, inside the webview: units ranked by their correlation with text features
 * (a sparkline of each over the document; click one to colour the editor by it), Karpathy et
 * al.'s gate-saturation scatter plot, and the saliency of the token at the cursor. It draws only
 * what the host sends, validated against src/inspect/viewProtocol.ts.
 */
import './style.css';
import { HostToUnitsView, parseHostToUnitsView, UnitsViewToHost } from '../../src/inspect/viewProtocol';
import type { GateSaturation } from '../../src/engine/inspect/gates';

declare function acquireVsCodeApi(): { postMessage(m: UnitsViewToHost): void };
const api = acquireVsCodeApi();
const post = (m: UnitsViewToHost) => api.postMessage(m);

const SVG = 'http://www.w3.org/2000/svg';

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** A sparkline of a unit's activation over the document, zero line dashed. */
function sparkline(values: number[], w = 160, h = 22): SVGElement {
  const s = svg('svg', { width: w, height: h, viewBox: `0 0 ${w} ${h}`, class: 'spark' });
  const max = Math.max(1e-6, ...values.map(Math.abs));
  const y = (v: number) => h / 2 - (v / max) * (h / 2 - 1);
  s.appendChild(svg('line', { x1: 0, x2: w, y1: h / 2, y2: h / 2, class: 'zero' }));
  const pts = values.map(
    (v, i) => `${((i / Math.max(1, values.length - 1)) * w).toFixed(1)},${y(v).toFixed(1)}`,
  );
  s.appendChild(svg('polyline', { points: pts.join(' '), class: 'line' }));
  return s;
}

const app = document.getElementById('app')!;
const header = el('div', 'header');
const controls = el('div', 'controls');
const rankings = el('div', 'rankings');
const gatesBox = el('div', 'gates');
const saliencyBox = el('div', 'saliency');
const errorBox = el('div', 'error');
app.append(
  header,
  controls,
  errorBox,
  rankings,
  el('h3', '', 'Gate saturation'),
  gatesBox,
  el('h3', '', 'Saliency at the cursor'),
  saliencyBox,
);
saliencyBox.textContent = 'Move the cursor in the inspected file.';

const surprisalButton = el('button', '', 'Surprise heatmap');
surprisalButton.addEventListener('click', () => post({ type: 'colorBy', colorBy: { kind: 'surprisal' } }));
const regexInput = el('input');
regexInput.placeholder = 'regular expression, e.g. TODO|FIXME';
regexInput.addEventListener('change', () => post({ type: 'regex', source: regexInput.value }));
const regexLabel = el('label', '', 'Feature: inside a match of ');
regexLabel.append(regexInput);
controls.append(surprisalButton, regexLabel);

function showInspection(m: Extract<HostToUnitsView, { type: 'inspection' }>): void {
  errorBox.textContent = '';
  header.textContent = `${m.file}: ${m.tokens} tokens, mean surprisal ${m.meanBits.toFixed(3)} bits per token — colouring by ${m.colorBy.kind === 'unit' ? m.colorBy.unit : 'surprisal'}`;
  if (document.activeElement !== regexInput) regexInput.value = m.regex;
  const sparks = new Map(m.units.map((u) => [u.unit, u.spark]));
  rankings.replaceChildren();
  for (const r of m.ranking) {
    const box = el('section', 'feature');
    box.append(el('h3', '', m.labels[r.feature] ?? r.feature));
    const table = el('table');
    for (const u of r.top) {
      const row = el('tr', m.colorBy.kind === 'unit' && m.colorBy.unit === u.unit ? 'unit selected' : 'unit');
      row.title = `Colour the editor by ${u.unit}`;
      row.dataset.unit = u.unit;
      row.addEventListener('click', () => post({ type: 'colorBy', colorBy: { kind: 'unit', unit: u.unit } }));
      const name = el('td', 'name', u.unit);
      const r2 = el('td', u.r >= 0 ? 'r pos' : 'r neg', `${u.r >= 0 ? '+' : ''}${u.r.toFixed(2)}`);
      const sp = el('td');
      sp.append(sparkline(sparks.get(u.unit) ?? []));
      row.append(name, r2, sp);
      table.append(row);
    }
    box.append(table);
    rankings.append(box);
  }
}

const GATE_CLASS: Record<string, string> = {
  input: 'g-input',
  forget: 'g-forget',
  output: 'g-output',
  update: 'g-input',
  reset: 'g-forget',
};

/** The paper's figure: per layer, each unit's gate as a point (left-saturated, right-saturated). */
function showGates(sat: GateSaturation[]): void {
  gatesBox.replaceChildren();
  if (sat.length === 0) {
    gatesBox.textContent = 'A vanilla RNN has no gates.';
    return;
  }
  const layers = [...new Set(sat.map((g) => g.layer))];
  const size = 220;
  const pad = 28;
  for (const l of layers) {
    const fig = el('figure', 'scatter');
    const s = svg('svg', { width: size + pad + 8, height: size + pad + 8, class: 'plot', 'data-layer': l });
    const x = (v: number) => pad + v * size;
    const y = (v: number) => 4 + (1 - v) * size;
    s.appendChild(svg('rect', { x: pad, y: 4, width: size, height: size, class: 'frame' }));
    s.appendChild(svg('line', { x1: x(0), y1: y(1), x2: x(1), y2: y(0), class: 'diag' }));
    for (const g of sat.filter((g) => g.layer === l))
      g.left.forEach((lv, j) => {
        const c = svg('circle', {
          cx: x(lv).toFixed(1),
          cy: y(g.right[j]).toFixed(1),
          r: 2.5,
          class: `pt ${GATE_CLASS[g.gate] ?? ''}`,
        });
        const t = svg('title', {});
        t.textContent = `layer ${l} ${g.gate} gate, unit ${j}: left ${lv.toFixed(2)}, right ${g.right[j].toFixed(2)}`;
        c.appendChild(t);
        s.appendChild(c);
      });
    const xl = svg('text', { x: pad + size / 2, y: size + pad + 2, class: 'axis' });
    xl.textContent = 'fraction left-saturated (< 0.1)';
    const yl = svg('text', {
      x: 10,
      y: 4 + size / 2,
      class: 'axis',
      transform: `rotate(-90 10 ${4 + size / 2})`,
    });
    yl.textContent = 'right-saturated (> 0.9)';
    s.append(xl, yl);
    const cap = el(
      'figcaption',
      '',
      `layer ${l}: ${[...new Set(sat.filter((g) => g.layer === l).map((g) => g.gate))].join(', ')} gates`,
    );
    fig.append(s, cap);
    gatesBox.append(fig);
  }
  const legend = el('div', 'legend');
  for (const g of [...new Set(sat.map((s) => s.gate))])
    legend.append(el('span', `key ${GATE_CLASS[g] ?? ''}`, g));
  gatesBox.append(legend);
}

/** Bars of the gradient norm for each earlier token, the token under the cursor at the right. */
function showSaliency(m: Extract<HostToUnitsView, { type: 'saliency' }>): void {
  saliencyBox.replaceChildren();
  const w = Math.max(300, Math.min(900, m.norms.length * 6));
  const h = 80;
  const max = Math.max(1e-12, ...m.norms);
  const s = svg('svg', { width: w, height: h + 16, class: 'bars' });
  const bw = w / Math.max(1, m.norms.length);
  m.norms.forEach((v, i) => {
    const bh = (v / max) * h;
    const r = svg('rect', {
      x: (i * bw).toFixed(1),
      y: (h - bh).toFixed(1),
      width: Math.max(1, bw - 1).toFixed(1),
      height: bh.toFixed(1),
      class: 'bar',
    });
    const t = svg('title', {});
    t.textContent = `${JSON.stringify(m.tokens[i])}, ${m.norms.length - i} back: ${v.toPrecision(3)}`;
    r.appendChild(t);
    s.appendChild(r);
  });
  saliencyBox.append(
    el(
      'div',
      '',
      `How much each earlier token moves log p(${JSON.stringify(m.target)}) (gradient norm; the nearest at the right):`,
    ),
    s,
  );
}

window.addEventListener('message', (e: MessageEvent) => {
  const m = parseHostToUnitsView(e.data);
  if (!m) return;
  if (m.type === 'inspection') showInspection(m);
  else if (m.type === 'gates') showGates(m.saturation);
  else if (m.type === 'saliency') showSaliency(m);
  else errorBox.textContent = m.message;
});
post({ type: 'ready' });
