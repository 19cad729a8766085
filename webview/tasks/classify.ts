/**
 * A classifier run's panels: accuracy and macro-F1 at each evaluation with the baselines as
 * horizontal lines, the confusion matrix at the latest (or a chosen) evaluation, and the
 * misclassified validation examples. Everything from the run is inserted as text, never as HTML.
 */
import type uPlot from 'uplot';
import type { ClassifyPoint } from '../../src/dashboard/protocol';
import { Chart, ChartView } from '../charts/chart';
import { el } from '../dom';
import type { SelectedRun } from '../state';

const DASHES = [
  [6, 4],
  [2, 3],
];

function accuracyChart(grid: HTMLElement): ChartView {
  const chart = new Chart(
    grid,
    'Classifier: accuracy and macro-F1 (dashed: baselines)',
    'chart-classify',
    true,
  );
  const draw: ChartView['draw'] = (sel) => {
    const runs = sel.filter((s) => s.p.classify?.length);
    chart.section.hidden = !runs.length;
    if (!runs.length) return;
    const xs = [...new Set(runs.flatMap((s) => s.p.classify!.map((c) => c.step)))].sort((a, b) => a - b);
    const series: uPlot.Series[] = [];
    const cols: (number | null)[][] = [];
    for (const { r, p, color } of runs) {
      const at = new Map(p.classify!.map((c) => [c.step, c]));
      // Accuracy a plain line, macro-F1 a thinner one with markers: one colour per run.
      series.push({ label: `${r.label} accuracy`, stroke: color, width: 2, points: { show: false } });
      cols.push(xs.map((x) => at.get(x)?.accuracy ?? null));
      series.push({
        label: `${r.label} macro-F1`,
        stroke: color,
        width: 1,
        points: { show: true, size: 6, fill: color },
      });
      cols.push(xs.map((x) => at.get(x)?.macro_f1 ?? null));
      const last = p.classify![p.classify!.length - 1];
      last.baselines.forEach((b, i) => {
        series.push({
          label: `${b.name} (accuracy)`,
          stroke: color + '99',
          width: 1,
          dash: DASHES[i % DASHES.length],
          points: { show: false },
        });
        cols.push(xs.map(() => b.accuracy));
      });
    }
    chart.draw(
      series,
      [xs, ...cols] as uPlot.AlignedData,
      {
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [{}, {}],
        spanGaps: true,
      } as Partial<uPlot.Options>,
    );
  };
  return { chart, draw };
}

function cell(tag: 'td' | 'th', text: string, cls?: string): HTMLElement {
  return el(tag, cls, text);
}

/** The confusion matrix and mistakes of the first selected classifier run, at a chosen evaluation. */
function detailsBox(grid: HTMLElement): (sel: SelectedRun[]) => void {
  // A full-width panel right under the curves: the matrix is what one reads next.
  const section = el('section', 'panel wide classify');
  section.id = 'classify-details';
  section.append(el('h3', undefined, 'Confusion matrix and misclassified validation examples'));
  const box = el('div');
  section.append(box);
  grid.append(section);
  let chosen: number | undefined;
  let shown = '';
  const render = (sel: SelectedRun[]) => {
    const run = sel.find((s) => s.p.classify?.length);
    const points = run?.p.classify ?? [];
    const point: ClassifyPoint | undefined =
      points.find((c) => c.step === chosen) ?? points[points.length - 1];
    // The colour too: the cells are shaded in it, and it changes with the selection.
    const sig = JSON.stringify([run?.r.id, points.length, point?.step, run?.color]);
    if (sig === shown) return;
    shown = sig;
    box.replaceChildren();
    section.hidden = !run || !point;
    if (!run || !point) return;
    const head = el('div', 'classify-head');
    head.append(el('span', undefined, `${run.r.label}: evaluation at step `));
    const pick = document.createElement('select');
    for (const c of points) {
      const o = document.createElement('option');
      o.value = String(c.step);
      o.textContent = String(c.step);
      o.selected = c.step === point.step;
      pick.append(o);
    }
    pick.addEventListener('change', () => {
      chosen = Number(pick.value);
      render(sel);
    });
    head.append(pick);
    head.append(
      el(
        'span',
        undefined,
        ` · accuracy ${point.accuracy.toFixed(3)} · macro-F1 ${point.macro_f1.toFixed(3)}`,
      ),
    );
    box.append(head);
    const table = el('table', 'confusion');
    const hr = el('tr');
    hr.append(cell('th', 'true \\ predicted'), ...point.labels.map((l) => cell('th', l)));
    table.append(hr);
    point.confusion.forEach((row, i) => {
      const tr = el('tr');
      // Each cell shaded by its share of the row (the true class), in the run's colour.
      const total = row.reduce((a, b) => a + b, 0) || 1;
      tr.append(
        cell('th', point.labels[i]),
        ...row.map((n, j) => {
          const td = cell('td', String(n), i === j ? 'diag' : undefined);
          td.style.background = `color-mix(in srgb, ${run.color} ${Math.round((60 * n) / total)}%, transparent)`;
          return td;
        }),
      );
      table.append(tr);
    });
    box.append(table);
    box.append(
      el('h4', undefined, `Misclassified validation examples (${point.misclassified.length} shown)`),
    );
    const list = el('div', 'mistakes');
    for (const m of point.misclassified) {
      const item = el('div', 'sample');
      // The label folder and file (or table and row) say enough; the full path is the tooltip.
      const head = el(
        'div',
        'sample-head',
        `true ${m.truth} · predicted ${m.predicted} (${(100 * m.probability).toFixed(1)}%) · ${m.source.split(/[\\/]/).slice(-2).join('/')}`,
      );
      head.title = m.source;
      item.append(head);
      item.append(el('pre', undefined, m.text));
      list.append(item);
    }
    box.append(list);
  };
  return render;
}

/** The classifier panels: a chart and the details in the grid, hidden unless a classifier is shown. */
export function classifyPanels(grid: HTMLElement): ChartView {
  const acc = accuracyChart(grid);
  const details = detailsBox(grid);
  return {
    chart: acc.chart,
    draw: (sel) => {
      acc.draw(sel);
      details(sel);
    },
  };
}
