/**
 * A sequence-to-sequence run's panels: BLEU and chrF at each evaluation that translated, the
 * latest evaluation's validation examples (source, reference, output), and the attention heatmap
 * (source pieces × output pieces) of the example chosen in the table. Shown only while a selected
 * run is a translator. Everything from the run is inserted as text, never as HTML.
 */
import type uPlot from 'uplot';
import { heatmapCells } from '../../src/dashboard/attentionView';
import type { Seq2seqExample, Seq2seqPatch } from '../../src/dashboard/protocol';
import { joined } from '../charts/axes';
import { Chart, ChartView } from '../charts/chart';
import { heatColor } from '../charts/heatmap';
import { el } from '../dom';
import type { SelectedRun } from '../state';

type Translator = SelectedRun & { p: { seq2seq: Seq2seqPatch } };
const translators = (sel: SelectedRun[]) => sel.filter((s): s is Translator => !!s.p.seq2seq);

function scoresChart(grid: HTMLElement): ChartView {
  const chart = new Chart(grid, 'Translator: BLEU and chrF (dashed) on validation', 'chart-seq2seq', true);
  const draw: ChartView['draw'] = (sel) => {
    const runs = translators(sel);
    chart.section.style.display = runs.length ? '' : 'none';
    if (!runs.length) return;
    // What is drawn, for the e2e to check against the run's metrics.jsonl.
    const first = runs[0].p.seq2seq.evals;
    chart.section.dataset.points = String(runs.reduce((a, s) => a + s.p.seq2seq.evals.step.length, 0));
    chart.section.dataset.bleu = first.bleu.at(-1)?.toFixed(2) ?? '';
    chart.section.dataset.chrf = first.chrf.at(-1)?.toFixed(2) ?? '';
    const lines: uPlot.Series[] = [];
    const tables: number[][][] = [];
    for (const { r, p, color } of runs) {
      const { step, bleu, chrf } = p.seq2seq.evals;
      tables.push([step, bleu], [step, chrf]);
      lines.push(
        { label: `${r.label} BLEU`, stroke: color, width: 2, points: { show: true } },
        { label: `${r.label} chrF`, stroke: color, width: 1.5, dash: [5, 3], points: { show: true } },
      );
    }
    chart.draw(lines, joined(tables), {
      scales: { x: { time: false }, y: { range: [0, 100] } },
      spanGaps: true,
    } as Partial<uPlot.Options>);
  };
  return { chart, draw };
}

/** The heatmap as a table: a column per source piece, a row per output piece, cells coloured by weight. */
function heatmap(x: Seq2seqExample): HTMLElement {
  const box = el('div', 'attention');
  if (!x.attention) {
    box.append(el('p', 'empty', 'No attention was recorded for this example.'));
    return box;
  }
  const cells = heatmapCells(x.attention);
  const table = el('table', 'attention-map');
  const head = el('tr');
  head.append(el('th', 'corner', 'output ↓ · source →'));
  for (const c of cells.columns) head.append(el('th', 'src', c));
  table.append(head);
  cells.rows.forEach((row, i) => {
    const tr = el('tr');
    tr.append(el('th', 'out', row.label));
    row.weights.forEach((w, j) => {
      const td = el('td', j === cells.peaks[i] ? 'peak' : undefined);
      td.style.background = heatColor(w);
      td.title = `${row.label} → ${cells.columns[j]}: ${w.toFixed(3)}`;
      tr.append(td);
    });
    table.append(tr);
  });
  box.append(
    table,
    el('p', 'hint', 'Colour: attention weight from 0 (dark) to 1 (yellow); outlined: each row’s peak.'),
  );
  return box;
}

/** The examples table of the first selected translator, and the heatmap of the chosen row. */
function examplesBox(grid: HTMLElement): (sel: SelectedRun[]) => void {
  const section = el('section', 'panel wide seq2seq');
  section.id = 'seq2seq-examples';
  grid.append(section);
  let chosen = 0;
  let shown = '';
  const render = (sel: SelectedRun[]) => {
    const run = translators(sel).find((s) => s.p.seq2seq.latest);
    const latest = run?.p.seq2seq.latest;
    section.style.display = run ? '' : 'none';
    const sig = JSON.stringify([run?.r.id, latest?.step, chosen]);
    if (sig === shown) return;
    shown = sig;
    section.replaceChildren();
    if (!run || !latest) return;
    if (chosen >= latest.examples.length) chosen = 0;
    section.append(
      el(
        'h3',
        undefined,
        `${run.r.label}: validation examples at step ${latest.step} (click one for its attention)`,
      ),
    );
    const table = el('table', 'examples');
    const hr = el('tr');
    hr.append(
      el('th', undefined, '#'),
      el('th', undefined, 'source'),
      el('th', undefined, 'reference'),
      el('th', undefined, 'output'),
    );
    table.append(hr);
    latest.examples.forEach((x, i) => {
      const tr = el('tr', i === chosen ? 'chosen' : undefined);
      tr.tabIndex = 0;
      tr.append(
        el('td', 'num', String(i + 1)),
        el('td', undefined, x.source),
        el('td', undefined, x.reference),
      );
      tr.append(el('td', x.output === x.reference ? 'exact' : undefined, x.output));
      const pick = () => {
        chosen = i;
        render(sel);
      };
      tr.addEventListener('click', pick);
      tr.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') pick();
      });
      table.append(tr);
    });
    const x = latest.examples[chosen];
    section.append(table, el('h3', undefined, `Attention of example ${chosen + 1}`));
    if (x) section.append(heatmap(x));
  };
  return render;
}

/** The translator panels: the scores chart, then the examples and heatmap (a wide panel). */
export function seq2seqPanels(grid: HTMLElement): ChartView {
  const scores = scoresChart(grid);
  const examples = examplesBox(grid);
  return {
    chart: scores.chart,
    draw: (sel) => {
      scores.draw(sel);
      examples(sel);
    },
  };
}
