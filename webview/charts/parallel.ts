/**
 * Parallel coordinates: one vertical axis per config key that differs between the shown runs and
 * a last axis for the chosen metric; one line per run, coloured by that metric (best: the
 * theme's blue, worst: its red), overlaid runs drawn thicker. Drawn on a plain canvas.
 */
import { differingKeys, metricNames, parallelAxes } from '../../src/dashboard/experiments';
import { metricGoal } from '../../src/engine/runFolder/summary';
import { dropdown } from '../controls';
import { css, el } from '../dom';
import { runName, setView, state } from '../state';
import { shownRuns } from '../runsTable';

const HEIGHT = 260;
// Room above the axes for each axis's name and, below it, its top tick.
const PAD = { top: 44, bottom: 34, side: 56 };

function mix(a: string, b: string, t: number): string {
  const p = (c: string) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
  const [x, y] = [p(a), p(b)];
  if ([...x, ...y].some((v) => Number.isNaN(v))) return t < 0.5 ? a : b;
  return `rgb(${x.map((v, i) => Math.round(v + (y[i] - v) * t)).join(',')})`;
}

export function parallelPlot(grid: HTMLElement): { draw: () => void; canvas: HTMLCanvasElement } {
  const section = el('section', 'panel wide');
  section.id = 'chart-parallel';
  const head = el('h3', undefined, 'Parallel coordinates: config against ');
  const pick = el('span');
  head.append(pick);
  const canvas = el('canvas');
  canvas.setAttribute('aria-label', 'parallel coordinates of config against a metric');
  section.append(head, canvas);
  grid.append(section);
  let options = '';

  const draw = (): void => {
    const runs = shownRuns().filter((r) => r.stats);
    const metrics = metricNames(runs);
    const cols = metrics.flatMap((m) => [`best:${m}`, `final:${m}`]);
    const sig = cols.join(',');
    if (sig !== options) {
      options = sig;
      pick.replaceChildren(
        dropdown(
          cols.map((c) => [c, c.replace(':', ' ')]),
          state.view.pcMetric,
          (v) => setView('pcMetric', v),
        ),
      );
    }
    const metric = cols.includes(state.view.pcMetric) ? state.view.pcMetric : cols[0];
    const keys = differingKeys(runs.map((r) => r.config));
    section.hidden = runs.length < 2 || !metric;
    if (section.hidden) return;
    const axes = [...keys.map((k) => `config:${k}`), metric];
    const { axes: info, lines } = parallelAxes(runs, axes);
    const width = Math.max(320, section.clientWidth - 4);
    const dpr = window.devicePixelRatio || 1;
    canvas.width = width * dpr;
    canvas.height = HEIGHT * dpr;
    canvas.style.width = `${width}px`;
    canvas.style.height = `${HEIGHT}px`;
    const g = canvas.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, HEIGHT);
    const fg = css('--vscode-foreground', '#ccc');
    const dim = css('--vscode-editorWidget-border', '#555');
    const good = css('--vscode-charts-blue', '#3794ff');
    const bad = css('--vscode-charts-red', '#f14c4c');
    const xAt = (i: number) => PAD.side + ((width - 2 * PAD.side) * i) / Math.max(1, axes.length - 1);
    const yAt = (t: number) => PAD.top + (1 - t) * (HEIGHT - PAD.top - PAD.bottom);
    // Colour by the metric's place, flipped so that the better end is always blue.
    const mIdx = axes.length - 1;
    const lowBetter = metricGoal(metric.split(':')[1]) === 'min';
    const selected = new Set(state.view.selected);
    const order = runs.map((_, i) => i).sort((a, b) => +selected.has(runs[a].id) - +selected.has(runs[b].id));
    for (const i of order) {
      const pts = lines[i];
      const t = pts[mIdx];
      g.strokeStyle = t === null ? dim : mix(good, bad, lowBetter ? t : 1 - t);
      g.lineWidth = selected.has(runs[i].id) ? 2.5 : 1;
      g.globalAlpha = selected.size && !selected.has(runs[i].id) ? 0.35 : 0.9;
      g.beginPath();
      let started = false;
      pts.forEach((v, a) => {
        if (v === null) return (started = false);
        if (started) g.lineTo(xAt(a), yAt(v));
        else g.moveTo(xAt(a), yAt(v));
        started = true;
      });
      g.stroke();
    }
    g.globalAlpha = 1;
    g.fillStyle = fg;
    g.strokeStyle = fg;
    g.lineWidth = 1;
    g.font = `11px ${css('--vscode-font-family', 'sans-serif')}`;
    g.textAlign = 'center';
    info.forEach((a, i) => {
      const x = xAt(i);
      g.beginPath();
      g.moveTo(x, yAt(0));
      g.lineTo(x, yAt(1));
      g.stroke();
      g.fillText(
        a.column.replace(/^config:/, '').replace(':', ' ') + (a.log ? ' (log)' : ''),
        x,
        PAD.top - 26,
      );
      const ticks = a.ticks.length > 6 ? [a.ticks[0], a.ticks[a.ticks.length - 1]] : a.ticks;
      ticks.forEach((tick, k) => {
        const t =
          a.ticks.length === 2 && !isNaN(Number(tick))
            ? k
            : a.ticks.indexOf(tick) / Math.max(1, a.ticks.length - 1);
        g.fillText(tick.length > 10 ? tick.slice(0, 9) + '…' : tick, x, t === 0 ? yAt(0) + 14 : yAt(t) - 4);
      });
    });
    canvas.dataset.runs = String(runs.length);
    canvas.dataset.axes = axes.join(',');
    canvas.title = `${runs.length} runs: ${runs.slice(0, 5).map(runName).join(', ')}${runs.length > 5 ? ', …' : ''}`;
  };
  return { draw, canvas };
}
