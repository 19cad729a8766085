/** The toolbar: smoothing, loss units, x axis, log-scale gradients, and the exports. */
import { button, checkbox, dropdown } from './controls';
import { el } from './dom';
import { onChange, setView, state, ViewSettings } from './state';

export function toolbar(exports: {
  csv: () => void;
  lossPng: () => void;
  metrics: (kind: 'csv' | 'json') => void;
}): HTMLElement {
  const bar = el('div', 'toolbar');
  const { view } = state;
  const smoothLabel = el('label', 'smooth');
  const slider = el('input');
  slider.type = 'range';
  slider.min = '0';
  slider.max = '0.999';
  slider.step = '0.001';
  slider.value = String(view.smoothing);
  const smoothValue = el('span', undefined, view.smoothing.toFixed(3));
  slider.addEventListener('input', () => {
    smoothValue.textContent = Number(slider.value).toFixed(3);
    setView('smoothing', Number(slider.value));
  });
  smoothLabel.append('Smoothing ', slider, smoothValue);
  bar.append(
    smoothLabel,
    dropdown(
      [
        ['loss', 'Loss (nats)'],
        ['perplexity', 'Perplexity'],
        ['bpc', 'Bits per character'],
      ],
      view.yMode,
      (v) => setView('yMode', v as ViewSettings['yMode']),
    ),
    dropdown(
      [
        ['step', 'x: step'],
        ['tokens', 'x: tokens seen'],
        ['time', 'x: wall time (s)'],
      ],
      view.xAxis,
      (v) => setView('xAxis', v as ViewSettings['xAxis']),
    ),
    checkbox('Log scale (gradient norm)', view.logGrad, (c) => setView('logGrad', c)),
    button('Export CSV', exports.csv),
    button('Export loss chart (PNG)', exports.lossPng),
  );
  bar.append(...experimentControls(exports.metrics));
  return bar;
}

/** Log x, fine-tune alignment, grouping with its band, and the metrics exports. */
function experimentControls(metrics: (kind: 'csv' | 'json') => void): HTMLElement[] {
  const { view } = state;
  const groupBox = el('span', 'group-by');
  let keys = '';
  // The keys to group by are the config keys of the runs listed, which arrive after the toolbar.
  const fill = () => {
    const all = [...new Set(state.runs.flatMap((r) => Object.keys(r.config ?? {})))];
    if (all.join() === keys) return;
    keys = all.join();
    groupBox.replaceChildren(
      dropdown(
        [['', 'Group by: none'], ...all.map((k): [string, string] => [k, `Group by: ${k}`])],
        view.groupBy,
        (v) => setView('groupBy', v),
      ),
    );
  };
  onChange(fill);
  fill();
  return [
    checkbox('Log x', view.logX, (c) => setView('logX', c)),
    dropdown(
      [
        ['relative', 'Fine-tunes: own steps'],
        ['parent', "Fine-tunes: continue parent's steps"],
      ],
      view.ftAlign,
      (v) => setView('ftAlign', v as ViewSettings['ftAlign']),
    ),
    groupBox,
    dropdown(
      [
        ['minmax', 'Band: min–max'],
        ['std', 'Band: ±1 std'],
      ],
      view.band,
      (v) => setView('band', v as ViewSettings['band']),
    ),
    button('Export metrics (CSV)', () => metrics('csv')),
    button('Export metrics (JSON)', () => metrics('json')),
  ];
}
