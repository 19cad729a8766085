/** The runs table: one row per run, a checkbox to overlay it, its colour, and Stop for a live run. */
import { button, checkbox, dataGrid, progressRing } from './controls';
import { css, el, palette } from './dom';
import { post } from './host';
import { selectRun, state } from './state';

/** Returns the table's render function, which rebuilds the table only when what it shows changed. */
export function runsTable(box: HTMLElement): () => void {
  let shown = '';
  return () => {
    const { runs, training, view } = state;
    const sig = JSON.stringify([runs, [...training], view.selected, css('--vscode-foreground', '')]);
    if (sig === shown) return;
    shown = sig;
    box.replaceChildren();
    if (runs.length === 0) {
      box.append(el('p', 'empty', 'No runs yet: train a model with "SeqLab: Train RNN on Folder".'));
      return;
    }
    const colors = palette();
    const rows = runs.map((r) => {
      const pick = checkbox('', view.selected.includes(r.id), (c) => {
        selectRun(r.id, c);
        post({ type: 'select', runIds: [...state.view.selected] });
      });
      pick.setAttribute('aria-label', `overlay ${r.label}`);
      const status = el('span', 'state');
      if (training.has(r.id)) {
        const ring = progressRing();
        ring.classList.add('ring');
        status.append(ring, ' training');
      } else status.textContent = r.state;
      const stop = training.has(r.id) ? button('Stop run', () => post({ type: 'stopRun', runId: r.id })) : '';
      const name = el('span', 'run-name');
      const idx = view.selected.indexOf(r.id);
      if (idx >= 0) {
        const sw = el('span', 'swatch');
        sw.style.background = colors[idx % colors.length];
        name.append(sw);
      }
      name.append(r.label);
      return [pick, name, r.cell, `${r.layers}×${r.hidden}`, r.tokenizer, r.parent ?? '—', status, stop];
    });
    box.append(
      dataGrid(
        ['', 'run', 'cell', 'size', 'tokenizer', 'parent', 'state', ''],
        // Minimum widths keep words whole in a narrow panel (it scrolls sideways instead).
        '44px minmax(160px, 2fr) minmax(52px, 0.7fr) minmax(64px, 0.7fr) minmax(72px, 0.8fr) minmax(90px, 1.6fr) minmax(76px, 1fr) 110px',
        rows,
      ),
    );
  };
}
