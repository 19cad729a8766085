/** One chart panel in the grid and the uPlot instance drawn in it. */
import uPlot from 'uplot';
import { seriesKey } from '../../src/dashboard/series';
import { css, el } from '../dom';
import { SelectedRun, state, ViewSettings } from '../state';

/** What main.ts holds of each chart: its panel, and a draw for the overlaid runs. */
export interface ChartView {
  chart: Chart;
  draw(sel: SelectedRun[]): void;
  /** The view settings its drawing reads (default: all that the run charts read). */
  reads?: (keyof ViewSettings)[];
}

function axisStyle(): uPlot.Axis {
  const fg = css('--vscode-foreground', '#ccc');
  const gridc = css('--vscode-editorWidget-border', '#444');
  return { stroke: fg, grid: { stroke: gridc, width: 0.5 }, ticks: { stroke: gridc, width: 0.5 } };
}

export class Chart {
  private readonly box: HTMLElement;
  /** The panel, for charts that hide when they have nothing to show. */
  readonly section: HTMLElement;
  private u: uPlot | undefined;
  private sig = '';

  /** Appends a panel `<section id=…>` with its title to the grid. */
  constructor(
    grid: HTMLElement,
    title: string,
    id: string,
    /** One colour per run, shown in the runs table, needs no legend; a per-layer chart does. */
    private readonly legend = false,
    /** Its x is training progress (step, tokens, time), so the log-x switch applies. */
    private readonly trainingX = true,
  ) {
    const section = el('section', 'panel');
    section.id = id;
    section.append(el('h3', undefined, title));
    this.box = el('div', 'plot');
    section.append(this.box);
    grid.append(section);
    this.section = section;
  }

  /** The uPlot instance drawn last, if any. */
  get plot(): uPlot | undefined {
    return this.u;
  }

  /**
   * Reuses the uPlot instance (setData) while the series stay the same; rebuilds it otherwise.
   * `x` names the x column in the legend where it is not training progress.
   */
  draw(
    series: uPlot.Series[],
    d: uPlot.AlignedData,
    opts: Partial<uPlot.Options> = {},
    x: uPlot.Series = { label: state.view.xAxis },
  ): uPlot {
    const { view } = state;
    const sig = JSON.stringify([
      x.label,
      seriesKey(series),
      view.xAxis,
      view.yMode,
      view.logGrad,
      this.trainingX && view.logX,
      view.ftAlign,
      css('--vscode-foreground', ''),
    ]);
    if (this.u && this.sig === sig) {
      this.u.setData(d);
      return this.u;
    }
    this.u?.destroy();
    this.box.replaceChildren();
    const ax = axisStyle();
    const axes = (opts.axes ?? [{}, {}]).map((a, i) => ({ ...ax, ...(i > 0 ? { size: 64 } : {}), ...a }));
    this.u = new uPlot(
      {
        width: Math.max(280, this.box.clientWidth - 4),
        height: 220,
        legend: { show: this.legend },
        cursor: { drag: { x: true, y: false } },
        ...opts,
        ...(this.trainingX && view.logX
          ? { scales: { ...opts.scales, x: { ...opts.scales?.x, time: false, distr: 3 } } }
          : {}),
        series: [x, ...series],
        axes,
      },
      d,
      this.box,
    );
    this.sig = sig;
    return this.u;
  }

  /** A new size needs a new canvas: the next draw builds one. */
  reset(): void {
    this.u?.destroy();
    this.u = undefined;
  }
}
