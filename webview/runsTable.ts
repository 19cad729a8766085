/**
 * The runs table: one row per run with its config as columns (or only those that differ), its
 * best and final metrics, steps, tokens, wall time, speed and size; sortable by any column,
 * filtered by text; a checkbox overlays a run, ✎ edits its name, colour, tags and notes.
 */
import { configColumns, filterRuns, metricNames, sortRuns } from '../src/dashboard/experiments';
import type { RunSummary } from '../src/dashboard/protocol';
import { button, checkbox, progressRing } from './controls';
import { css, el } from './dom';
import { post } from './host';
import { runColour, runName, selectRun, selectRuns, setView, state } from './state';

/** Column names of metrics whose keys are not how they are written (a translator's scores). */
const METRIC_NAMES: Record<string, string> = { bleu: 'BLEU', chrf: 'chrF', rougeL: 'ROUGE-L' };

/** Rows built at once; the rest follow CHUNK_ROWS per animation frame. */
const FIRST_ROWS = 40;
const CHUNK_ROWS = 40;
/** Counts the tables built: a chunk of rows belongs to the newest table only. */
let generation = 0;

/** Metrics shown as columns at most (the headline ones first); the export has them all. */
const MAX_METRICS = 3;

/** A table cell's text: a header's label, a cell's string. */

const num = (v: number | null | undefined, digits = 4): string =>
  v === null || v === undefined
    ? '–'
    : Math.abs(v) >= 1e5
      ? v.toExponential(2)
      : Number.isInteger(v)
        ? v.toLocaleString('en-US')
        : v.toFixed(digits);

const compact = (v: number | null | undefined): string =>
  v === null || v === undefined
    ? '–'
    : v >= 1e9
      ? `${(v / 1e9).toFixed(2)} G`
      : v >= 1e6
        ? `${(v / 1e6).toFixed(2)} M`
        : v >= 1e4
          ? `${(v / 1e3).toFixed(1)} k`
          : v.toLocaleString('en-US');

/**
 * A plain table: its columns take the width of their widest cell, so headers never run into each
 * other, and the panel scrolls sideways when they do not fit.
 */
function runsTableElement(
  header: (string | Node)[],
  runs: readonly RunSummary[],
  makeRow: (r: RunSummary) => (string | Node)[],
  gen: number,
): HTMLTableElement {
  const table = el('table', 'runs-table');
  table.setAttribute('aria-label', 'Runs');
  const head = el('tr');
  for (const h of header) {
    const th = el('th');
    th.scope = 'col';
    th.append(h);
    head.append(th);
  }
  const body = el('tbody');
  const addRows = (from: number, to: number) => {
    for (const r of runs.slice(from, to)) {
      const tr = el('tr');
      tr.dataset.run = r.id;
      for (const c of makeRow(r)) {
        const td = el('td');
        td.append(c);
        tr.append(td);
      }
      body.append(tr);
    }
  };
  // The rows in view first; the rest (below the fold of the table's scroll box) a chunk per
  // frame, so that hundreds of runs never make one long task. A newer table stops the chunks.
  addRows(0, FIRST_ROWS);
  const more = (from: number) => {
    if (from >= runs.length || gen !== generation) return;
    requestAnimationFrame(() => {
      if (gen !== generation) return;
      addRows(from, from + CHUNK_ROWS);
      table.dataset.rows = String(body.rows.length);
      more(from + CHUNK_ROWS);
    });
  };
  more(FIRST_ROWS);
  table.append(el('thead'), body);
  table.tHead!.append(head);
  table.dataset.rows = String(body.rows.length);
  table.dataset.total = String(runs.length);
  return table;
}

const wall = (s: number | null | undefined) =>
  s === null || s === undefined ? '–' : s < 120 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;

/** The runs the table shows, filtered and sorted as the view says. */
export function shownRuns(): RunSummary[] {
  const { runs, view } = state;
  const kept = filterRuns(runs, view.filter);
  return view.sortBy ? sortRuns(kept, view.sortBy, view.sortDir) : kept;
}

function editor(r: RunSummary, close: () => void): HTMLElement {
  const box = el('div', 'run-editor');
  const name = el('input');
  name.value = r.notes?.name ?? '';
  name.placeholder = r.label;
  name.setAttribute('aria-label', 'run name');
  const colour = el('input');
  colour.type = 'color';
  colour.value = r.notes?.colour ?? '#3794ff';
  colour.setAttribute('aria-label', 'run colour');
  const tags = el('input');
  tags.value = (r.notes?.tags ?? []).join(', ');
  tags.placeholder = 'tags, comma-separated';
  tags.setAttribute('aria-label', 'tags');
  const notes = el('textarea');
  notes.value = r.notes?.notes ?? '';
  notes.placeholder = 'notes';
  notes.rows = 2;
  notes.setAttribute('aria-label', 'notes');
  let colourTouched = false;
  colour.addEventListener('input', () => (colourTouched = true));
  box.append(
    el('span', undefined, `Edit ${r.id.split(/[\\/]/).pop()}:`),
    name,
    colour,
    tags,
    notes,
    button(
      'Save',
      () => {
        post({
          type: 'annotate',
          runId: r.id,
          notes: {
            name: name.value.trim(),
            tags: tags.value
              .split(',')
              .map((t) => t.trim())
              .filter(Boolean),
            notes: notes.value,
            ...(colourTouched ? { colour: colour.value } : {}),
          },
        });
        close();
      },
      'primary',
    ),
    button('Reset colour', () => {
      post({ type: 'annotate', runId: r.id, notes: { colour: '' } });
      close();
    }),
    button('Cancel', close),
  );
  return box;
}

/** How long after the last pointer move or key in the runs table it counts as in use (ms). */
const IN_USE_MS = 1500;

/** Returns the table's render function, which rebuilds the table only when what it shows changed. */
export function runsTable(box: HTMLElement): () => void {
  let editing: string | undefined;
  const controls = el('div', 'table-controls');
  const filter = el('input', 'filter');
  filter.type = 'search';
  filter.placeholder = 'Filter runs (config, tags, notes)';
  filter.setAttribute('aria-label', 'filter runs');
  filter.value = state.view.filter;
  filter.addEventListener('input', () => setView('filter', filter.value));
  const tableBox = el('div', 'table-box');
  const editBox = el('div');
  const count = el('span', 'count');
  controls.append(
    filter,
    checkbox('Differs only', state.view.differsOnly, (c) => setView('differsOnly', c)),
    button('Select shown', () => {
      selectRuns(shownRuns().map((r) => r.id));
      post({ type: 'select', runIds: [...state.view.selected] });
    }),
    button('Clear selection', () => {
      selectRuns([]);
      post({ type: 'select', runIds: [] });
    }),
    count,
  );
  box.append(controls, editBox, tableBox);
  // What the table was last built from: what the user asked for (sort, filter, selection, the
  // editor), the runs, and the runs' live figures.
  let askedShown = '';
  let dataShown = '';
  let liveShown = '';
  let editorFor: string | undefined;
  let lastBuild = 0;
  let throttled: number | undefined;
  let pending = false;
  let retry: number | undefined;
  // A rebuild replaces every row: under a moving pointer it can swallow a click (the row is
  // replaced between mousedown and mouseup), and during keyboard use it loses the user's place.
  // Changes the user did not ask for wait while the pointer or the keyboard is in use in the
  // table, and no longer: a pointer resting on the table while a run finishes must not hide it.
  let pointerDown = false;
  let lastUse = 0;
  const used = (): void => {
    lastUse = Date.now();
  };
  tableBox.addEventListener('pointermove', used);
  tableBox.addEventListener('keydown', used);
  tableBox.addEventListener('pointerdown', () => {
    pointerDown = true;
    used();
  });
  for (const up of ['pointerup', 'pointercancel', 'pointerleave'])
    tableBox.addEventListener(up, () => {
      pointerDown = false;
    });
  const busy = (): boolean => {
    const hover = tableBox.matches(':hover');
    const keys = tableBox.querySelector(':focus-visible') !== null;
    return (hover && pointerDown) || ((hover || keys) && Date.now() - lastUse < IN_USE_MS);
  };
  const flush = (): void => {
    if (!pending) return;
    if (busy()) {
      // The leave events trigger it; this re-check covers the end of use (the pointer at rest)
      // and a leave the webview never saw.
      retry ??= window.setTimeout(() => {
        retry = undefined;
        flush();
      }, 1000);
      return;
    }
    pending = false;
    render();
  };
  const flushSoon = () => window.setTimeout(flush, 0);
  tableBox.addEventListener('pointerleave', flushSoon);
  tableBox.addEventListener('focusout', flushSoon);
  const render = (): void => {
    const { runs, training, view } = state;
    // A training run's figures change with every step; the rest only when the user acts.
    const live = JSON.stringify(runs.map((r) => r.stats));
    const data = JSON.stringify([
      runs.map((r) => ({ ...r, stats: undefined })),
      [...training],
      css('--vscode-foreground', ''),
    ]);
    const asked = JSON.stringify([
      view.selected,
      view.filter,
      view.differsOnly,
      view.sortBy,
      view.sortDir,
      editing,
    ]);
    if (asked === askedShown && data === dataShown && live === liveShown) return;
    if (asked === askedShown) {
      if (busy()) {
        pending = true;
        tableBox.dataset.pending = 'true';
        flush();
        return;
      }
      // Only live figures moved: redraw at most every 10 s.
      if (data === dataShown && Date.now() - lastBuild < 10_000) {
        throttled ??= window.setTimeout(
          () => {
            throttled = undefined;
            render();
          },
          10_000 - (Date.now() - lastBuild),
        );
        return;
      }
    }
    pending = false;
    delete tableBox.dataset.pending;
    askedShown = asked;
    dataShown = data;
    liveShown = live;
    lastBuild = Date.now();
    // How many times the table was built: the e2e reads it to see how often a live run rebuilds it.
    tableBox.dataset.builds = String(Number(tableBox.dataset.builds ?? 0) + 1);
    const focus = focusedCell(tableBox);
    const { scrollLeft, scrollTop } = tableBox;
    tableBox.replaceChildren();
    // The editor is rebuilt only when another run is edited: a run finishing meanwhile must not
    // take the user's half-typed name, tags or notes.
    const editRun = runs.find((r) => r.id === editing);
    if (editRun?.id !== editorFor) {
      editorFor = editRun?.id;
      editBox.replaceChildren();
      if (editRun)
        editBox.append(
          editor(editRun, () => {
            editing = undefined;
            render();
          }),
        );
    }
    if (runs.length === 0) {
      tableBox.append(el('p', 'empty', 'No runs yet: train a model with "SeqLab: Train RNN on Folder".'));
      return;
    }
    const list = shownRuns();
    count.textContent = `${list.length} of ${runs.length} runs`;
    const keys = configColumns(list, view.differsOnly);
    const metrics = metricNames(list).slice(0, MAX_METRICS);
    const sortHead = (label: string, column: string) => {
      const h = el('span', 'sort');
      h.dataset.col = column;
      h.textContent = label + (view.sortBy === column ? (view.sortDir === 1 ? ' ▲' : ' ▼') : '');
      h.addEventListener('click', () => {
        if (view.sortBy === column) setView('sortDir', view.sortDir === 1 ? -1 : 1);
        else {
          setView('sortDir', 1);
          setView('sortBy', column);
        }
      });
      return h;
    };
    const statCols: [string, string][] = [
      ['steps', 'steps'],
      ['tokens', 'tokens'],
      ['wallSeconds', 'wall'],
      ['tokensPerSec', 'tok/s'],
      ['parameters', 'params'],
    ];
    const header: (string | Node)[] = [
      '',
      sortHead('run', 'run'),
      sortHead('state', 'state'),
      ...keys.map((k) => sortHead(k, `config:${k}`)),
      ...metrics.flatMap((m) => {
        const name = METRIC_NAMES[m] ?? m;
        return [sortHead(`best ${name}`, `best:${m}`), sortHead(`final ${name}`, `final:${m}`)];
      }),
      ...statCols.map(([c, label]) => sortHead(label, c)),
      '',
    ];
    const makeRow = (r: RunSummary): (string | Node)[] => {
      // Plain inputs, not the toolkit's controls: hundreds of rows of web components took
      // most of a second to build.
      const pick = el('input', 'pick');
      pick.type = 'checkbox';
      pick.checked = view.selected.includes(r.id);
      pick.addEventListener('change', () => {
        selectRun(r.id, pick.checked);
        post({ type: 'select', runIds: [...state.view.selected] });
      });
      pick.setAttribute('aria-label', `overlay ${runName(r)}`);
      pick.dataset.focus = 'pick';
      const status = el('span', 'state');
      if (training.has(r.id)) {
        const ring = progressRing();
        ring.classList.add('ring');
        status.append(ring, ' training');
      } else status.textContent = r.state;
      if (r.pruned) status.title = r.pruned;
      const name = el('span', 'run-name');
      const idx = view.selected.indexOf(r.id);
      if (idx >= 0 || r.notes?.colour) {
        const sw = el('span', 'swatch');
        sw.style.background = runColour(r, Math.max(0, idx));
        name.append(sw);
      }
      name.append(runName(r));
      for (const t of r.notes?.tags ?? []) name.append(' ', el('span', 'tag', t));
      if (r.notes?.notes) name.title = r.notes.notes;
      const actions = el('span', 'actions');
      const edit = el('button', 'icon', '✎');
      edit.addEventListener('click', () => {
        editing = r.id;
        render();
      });
      edit.setAttribute('aria-label', `edit ${runName(r)}`);
      edit.title = 'Rename, colour, tags, notes';
      edit.dataset.focus = 'edit';
      actions.append(edit);
      if (training.has(r.id)) {
        const stop = button('Stop run', () => post({ type: 'stopRun', runId: r.id }));
        stop.dataset.focus = 'stop';
        actions.append(stop);
      }
      const s = r.stats;
      return [
        pick,
        name,
        status,
        ...keys.map((k) => String(r.config?.[k] ?? '–')),
        ...metrics.flatMap((m) => [num(s?.best[m]), num(s?.final[m])]),
        num(s?.steps),
        compact(s?.tokens),
        wall(s?.wallSeconds),
        compact(
          s?.tokensPerSec === null || s?.tokensPerSec === undefined ? null : Math.round(s.tokensPerSec),
        ),
        compact(s?.parameters),
        actions,
      ];
    };
    tableBox.append(runsTableElement(header, list, makeRow, ++generation));
    tableBox.scrollLeft = scrollLeft;
    tableBox.scrollTop = scrollTop;
    if (focus) refocus(tableBox, focus);
  };
  return render;
}

/**
 * Where keyboard focus is in the table: the row's run and which of its controls (data-focus:
 * pick, edit, stop). Not positions: a run's new config key adds a column, and a finished run
 * loses its Stop button, and either moved the focus to another control or none.
 */
interface FocusedCell {
  run: string;
  control: string;
}

function focusedCell(tableBox: HTMLElement): FocusedCell | undefined {
  const control = document.activeElement?.closest<HTMLElement>('[data-focus]');
  const row = control?.closest('tr');
  const run = row?.dataset.run;
  if (!control?.dataset.focus || run === undefined || !tableBox.contains(row!)) return undefined;
  return { run, control: control.dataset.focus };
}

/**
 * Focuses the control that was focused before a rebuild, in the same run's row if it is still
 * shown; a Stop button gone with its run's training leaves the focus on the row's edit button.
 */
function refocus(tableBox: HTMLElement, f: FocusedCell): void {
  const row = Array.from(tableBox.querySelectorAll<HTMLElement>('tbody tr')).find(
    (tr) => tr.dataset.run === f.run,
  );
  const target =
    row?.querySelector<HTMLElement>(`[data-focus="${f.control}"]`) ??
    row?.querySelector<HTMLElement>('[data-focus="edit"]');
  target?.focus({ preventScroll: true });
}
