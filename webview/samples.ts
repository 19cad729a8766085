/** The latest samples of the overlaid runs, newest first, as plain text. */
import { el } from './dom';
import type { SelectedRun } from './state';

/** Returns the list's render function, which rebuilds it only when a new sample arrived. */
export function samplesList(box: HTMLElement): (sel: SelectedRun[]) => void {
  let shown = '';
  return (sel) => {
    const items = sel.flatMap(({ r, p }) =>
      p.samples
        .slice(-5)
        .reverse()
        .map((s) => ({ r, s })),
    );
    const sig = JSON.stringify(items.map(({ r, s }) => [r.id, s.step]));
    if (sig === shown) return;
    shown = sig;
    box.replaceChildren();
    for (const { r, s } of items) {
      const item = el('div', 'sample');
      item.append(el('div', 'sample-head', `${r.label} · step ${s.step}`));
      // Text only: nothing from metrics.jsonl or a sample is ever parsed as HTML.
      item.append(el('pre', undefined, s.text));
      box.append(item);
    }
    if (!items.length) box.append(el('p', 'empty', 'Samples appear at each evaluation.'));
  };
}
