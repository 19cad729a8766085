/** The toolbar: smoothing, loss units, x axis, log-scale gradients, and the exports. */
import { button, checkbox, dropdown } from './controls';
import { el } from './dom';
import { setView, state, ViewSettings } from './state';

export function toolbar(exports: { csv: () => void; lossPng: () => void }): HTMLElement {
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
  return bar;
}
