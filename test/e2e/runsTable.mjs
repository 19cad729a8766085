// The dashboard's runs table, grouping and parallel coordinates in the browser, then its redraw
// time with 200 runs of 10,000 steps. Each part opens a workspace of its own, written here (run
// folders as training writes them; no training). Called from one line of e2e.mjs
// (E2E_ONLY=runs runs this part alone).
import fs from 'fs';
import os from 'os';
import path from 'path';
import { ROOT } from '../../scripts/code-server.mjs';

const TEMPLATE = path.join(ROOT, 'test/fixtures/run-v0.1/20261130-044035-lstm-2ae1/config.json');

/**
 * Writes a finished run folder: config.json (unless `config` is null), status.json and a
 * metrics.jsonl of `steps` steps with an evaluation every `evalEvery`; the loss falls towards `floor`.
 */
function writeRun(root, id, { config, steps, evalEvery, floor, wobble = 0 }) {
  const dir = path.join(root, '.seqlab/runs', id);
  fs.mkdirSync(path.join(dir, 'checkpoints'), { recursive: true });
  if (config) {
    const t = JSON.parse(fs.readFileSync(TEMPLATE, 'utf8'));
    const model = { ...t.train.model, cell: config.cell, hidden: config.hidden };
    const train = { ...t.train, model, seed: config.seed, steps, evalEvery };
    fs.writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ ...t, runId: id, folder: root, train, model: { ...t.model, ...model } }),
    );
  }
  fs.writeFileSync(
    path.join(dir, 'status.json'),
    JSON.stringify({ status: 'finished', pid: 1, step: steps }),
  );
  const lines = [];
  let best = Infinity;
  for (let i = 1; i <= steps; i++) {
    const loss = floor + 2.5 * Math.exp(-i / (steps / 5)) + wobble * Math.sin(i / 3);
    lines.push(
      `{"type":"step","time":${i},"step":${i},"epoch":0,"loss":${loss},"gradNorm":0.5,"clipped":false,"lr":0.002,"tokensPerSec":4000,"tokensSeen":${i * 64},"elapsedSeconds":${i * 0.01}}`,
    );
    if (i % evalEvery === 0) {
      const v = loss + 0.1;
      best = Math.min(best, v);
      lines.push(
        `{"type":"eval","time":${i},"step":${i},"valLoss":${v},"bpc":${v / Math.LN2},"tokensSeen":${i * 64}}`,
      );
    }
  }
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
  return best;
}

/**
 * @param {{ page: import('playwright-core').Page, serverUrl: string, shot: (name: string) => Promise<void>,
 *   check: (name: string, ok: boolean, detail?: string) => void, log: (...a: unknown[]) => void,
 *   until: (what: string, fn: () => Promise<unknown>, o?: object) => Promise<unknown>, out: string }} t
 */
export async function runsTableTour({ page, serverUrl, shot, check, log, until, out }) {
  // --- Part 1: seven small runs. A seed group of three, its settings varied, and one run whose
  // config.json is missing (it must not make every key "differ").
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-e2e-runs-'));
  const specs = [
    { cell: 'lstm', hidden: 16, seed: 1, floor: 1.3 },
    { cell: 'lstm', hidden: 16, seed: 2, floor: 1.4 },
    { cell: 'lstm', hidden: 16, seed: 3, floor: 1.35 },
    { cell: 'gru', hidden: 16, seed: 1, floor: 1.2 },
    { cell: 'gru', hidden: 16, seed: 2, floor: 1.25 },
    { cell: 'lstm', hidden: 32, seed: 1, floor: 1.1 },
  ];
  const best = new Map();
  specs.forEach((s, k) => {
    const id = `20260102-00000${k}-run${k}`;
    best.set(id, writeRun(ws, id, { config: s, steps: 300, evalEvery: 50, floor: s.floor, wobble: 0.05 }));
  });
  writeRun(ws, '20260102-000009-noconfig', { config: null, steps: 300, evalEvery: 50, floor: 1.6 });

  await openDashboard(page, serverUrl, ws, log);
  const dash = await dashboardFrame(page, until);
  const table = dash.locator('table.runs-table');
  await until('the runs table to list 7 runs', async () => (await table.locator('tbody tr').count()) === 7, {
    timeout: 30_000,
  });
  const configCols = () =>
    table.locator('th .sort[data-col^="config:"]').evaluateAll((hs) => hs.map((h) => h.dataset.col.slice(7)));
  const differsBox = dash.locator('vscode-checkbox', { hasText: 'Differs only' });
  const differsOn = () => differsBox.evaluate((c) => c.checked);
  if (!(await differsOn())) await differsBox.click();
  await until('differs only to apply', async () => (await configCols()).length === 3, { soft: true });
  const differing = await configCols();
  check(
    '"differs only" shows exactly the config keys that differ (a run without config.json ignored)',
    JSON.stringify([...differing].sort()) === JSON.stringify(['cell', 'hidden', 'seed']),
    differing.join(', '),
  );
  // Column headers side by side, never over each other (they once ran together).
  const overlaps = await table.locator('thead th').evaluateAll((ths) => {
    const boxes = ths.map((t) => t.getBoundingClientRect());
    return boxes.slice(1).filter((b, i) => b.left < boxes[i].right - 0.5).length;
  });
  check('the runs table column headers do not overlap', overlaps === 0, `${overlaps} overlapping`);
  await shot('runs-1-table-differs-only');
  await differsBox.click();
  await until('all config columns', async () => (await configCols()).length > 3, { soft: true });
  const all = await configCols();
  check(
    'unticking "differs only" shows every config key',
    all.length > 3 && differing.every((k) => all.includes(k)),
    `${all.length} columns`,
  );
  await shot('runs-2-table-all-columns');
  await differsBox.click();

  // Sort by best validation loss: ascending, then descending.
  const order = () =>
    table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.run.split('/').pop()));
  const sortHead = table.locator('th .sort[data-col="best:valLoss"]');
  const expected = [...best.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id);
  await sortHead.click();
  await until('the table to sort by best valLoss', async () => (await order())[0] === expected[0], {
    soft: true,
  });
  const asc = (await order()).filter((id) => best.has(id));
  check(
    'sorting by best valLoss orders the rows by it',
    JSON.stringify(asc) === JSON.stringify(expected),
    asc.join(' '),
  );
  await sortHead.click();
  await until('the sort to flip', async () => (await order())[0] === expected.at(-1), { soft: true });
  const desc = (await order()).filter((id) => best.has(id));
  check(
    'a second click sorts descending',
    JSON.stringify(desc) === JSON.stringify([...expected].reverse()),
    desc.join(' '),
  );
  await shot('runs-3-table-sorted');

  // Filter by text: the GRU runs.
  const filter = dash.locator('input.filter');
  await filter.fill('gru');
  await until('the filter to apply', async () => (await table.locator('tbody tr').count()) === 2, {
    soft: true,
  });
  const filtered = await table.locator('tbody tr').allInnerTexts();
  check(
    'filtering by "gru" keeps the two GRU runs',
    filtered.length === 2 && filtered.every((t) => /GRU/.test(t)),
    `${filtered.length} rows`,
  );
  await shot('runs-4-table-filtered');
  await filter.fill('');
  await until('the filter to clear', async () => (await table.locator('tbody tr').count()) === 7, {
    soft: true,
  });

  // Overlay every run, group by cell: a mean curve with a band per group.
  await dash.locator('vscode-button', { hasText: 'Select shown' }).click();
  const body = dash.locator('body');
  await until('all seven runs overlaid', async () => Number(await body.getAttribute('data-series')) === 7, {
    soft: true,
  });
  // The run without a config would be a group of its own ("cell=—"): take it off the overlay.
  await table.locator('tr[data-run$="noconfig"] input.pick').click();
  await until('six runs overlaid', async () => Number(await body.getAttribute('data-series')) === 6, {
    soft: true,
  });
  await setDropdown(dash.locator('.group-by vscode-dropdown'), 'cell');
  const groups = dash.locator('#chart-groups');
  await until(
    'the grouped chart',
    async () => (await body.getAttribute('data-groups')) === '2' && (await groups.isVisible()),
    { soft: true },
  );
  const legend = await groups
    .locator('.u-legend')
    .innerText()
    .catch(() => '');
  check(
    'grouping by cell draws a mean with a band per group',
    (await body.getAttribute('data-groups')) === '2' &&
      /cell=lstm mean \(4 runs\)/.test(legend) &&
      /cell=gru mean \(2 runs\)/.test(legend),
    legend.replace(/\s+/g, ' ').slice(0, 160),
  );
  const bandPixels = await groups
    .locator('canvas')
    .first()
    .evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0 && d[i] < 200) n++;
      return n;
    });
  check(
    'the bands are filled (translucent pixels on the grouped chart)',
    bandPixels > 1000,
    `${bandPixels} translucent pixels`,
  );
  await groups.scrollIntoViewIfNeeded();
  await shot('runs-5-grouped-bands');
  // Pictures for the README: the table, and the grouped chart.
  await dash.locator('.runs').screenshot({ path: path.join(out, 'runs-table-element.png') });
  await groups.screenshot({ path: path.join(out, 'runs-groups-element.png') });

  // Parallel coordinates: an axis per differing key and one for the metric.
  const parallel = dash.locator('#chart-parallel canvas');
  await parallel.scrollIntoViewIfNeeded();
  const axes = (await parallel.getAttribute('data-axes')) ?? '';
  check(
    'the parallel-coordinates plot has an axis per differing key and the metric',
    axes === 'config:cell,config:hidden,config:seed,best:valLoss' || axes.split(',').length === 4,
    `${axes}; ${await parallel.getAttribute('data-runs')} runs`,
  );
  await shot('runs-6-parallel-coordinates');
  await setDropdown(dash.locator('.group-by vscode-dropdown'), '');
  await rebuildWaitsForThePointer({ page, dash, table, ws, check, until, shot });
  await focusSurvivesANewColumn({ dash, table, ws, check, until });

  // --- Part 2: 200 runs of 10,000 steps; the redraw time after a toggle, a sort and a grouping.
  const big = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-e2e-200-'));
  const tw = Date.now();
  const cells = ['lstm', 'gru', 'rnn', 'lstm'];
  for (let k = 0; k < 200; k++)
    writeRun(big, `20260103-${String(k).padStart(6, '0')}-r${k}`, {
      config: { cell: cells[k % 4], hidden: [16, 32][(k >> 2) % 2], seed: k % 5 },
      steps: 10_000,
      evalEvery: 500,
      floor: 1 + (k % 17) / 20,
      wobble: 0.03,
    });
  log(`wrote 200 runs of 10,000 steps in ${((Date.now() - tw) / 1000).toFixed(1)} s`);
  const to = Date.now();
  await openDashboard(page, serverUrl, big, log);
  const dash2 = await dashboardFrame(page, until);
  const body2 = dash2.locator('body');
  await until(
    'the table to list 200 runs',
    async () => Number(await dash2.locator('table.runs-table').getAttribute('data-total')) === 200,
    {
      timeout: 60_000,
    },
  );
  log(
    `first load: the table lists 200 runs ${((Date.now() - to) / 1000).toFixed(1)} s after the dashboard opened`,
  );
  const tl = Date.now();
  await dash2.locator('vscode-button', { hasText: 'Select shown' }).click();
  // data-steps counts the rows recorded; long runs are drawn thinned (data-points counts those).
  await until(
    '200 runs × 10,000 steps loaded',
    async () => Number(await body2.getAttribute('data-steps')) >= 2_000_000,
    {
      timeout: 240_000,
      interval: 250,
      soft: true,
    },
  );
  const loaded = Number(await body2.getAttribute('data-steps'));
  const loadS = ((Date.now() - tl) / 1000).toFixed(1);
  const drawn = Number(await body2.getAttribute('data-points'));
  log(
    `first load: 200 runs × 10,000 steps charted in ${loadS} s (${loaded} steps, ${drawn} points sent to the charts)`,
  );
  // The time is reported, not asserted: timing goals live in the bench, and this machine's load
  // moves it by seconds (19-31 s in recent runs); the wait above fails a hang after 240 s.
  check(
    '200 runs of 10,000 steps all load into the dashboard',
    loaded >= 2_000_000,
    `${loaded} steps in ${loadS} s`,
  );
  const f = await frameOf(page, '#chart-loss');
  await f.evaluate(() => {
    window.__long = [];
    try {
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) window.__long.push(Math.round(e.duration));
      }).observe({ type: 'longtask' });
    } catch {
      window.__long = null;
    }
  });
  // One action, then the time until the next frame is painted; and the longest task meanwhile.
  const measure = (name, action) =>
    f.evaluate(
      async ({ name, action }) => {
        if (window.__long) window.__long.length = 0;
        const t0 = performance.now();
        const el = (sel, text) =>
          [...document.querySelectorAll(sel)].find((e) => e.textContent.includes(text));
        if (action === 'differs') el('vscode-checkbox', 'Differs only').click();
        if (action === 'sort') document.querySelector('th .sort[data-col="best:valLoss"]').click();
        if (action.startsWith('group')) {
          const d = document.querySelector('.group-by vscode-dropdown');
          d.value = action.slice(6);
          d.dispatchEvent(new Event('change'));
        }
        const paint = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        await paint();
        const ms = performance.now() - t0;
        // Rows below the fold follow in chunks: wait for them before the next action.
        for (let i = 0; i < 50; i++) {
          const t = document.querySelector('table.runs-table');
          if (!t || t.dataset.rows === t.dataset.total) break;
          await paint();
        }
        await new Promise((r) => setTimeout(r, 300));
        return { name, ms: Math.round(ms), longest: window.__long ? Math.max(0, ...window.__long) : null };
      },
      { name, action },
    );
  const results = [];
  for (const [name, action] of [
    ['toggle differs only', 'differs'],
    ['toggle differs only', 'differs'],
    ['sort by best valLoss', 'sort'],
    ['sort by best valLoss', 'sort'],
    ['group by cell', 'group:cell'],
    ['group by seed', 'group:seed'],
    ['ungroup', 'group:'],
  ])
    results.push(await measure(name, action));
  const worst = Math.max(...results.map((r) => r.ms));
  const median = [...results.map((r) => r.ms)].sort((a, b) => a - b)[Math.floor(results.length / 2)];
  const longest = Math.max(...results.map((r) => r.longest ?? 0));
  console.log(
    `[e2e] 200 runs × 10,000 steps: redraw to next paint (ms): ${results.map((r) => `${r.name} ${r.ms}`).join(', ')}`,
  );
  console.log(
    `[e2e] 200 runs: median ${median} ms, worst ${worst} ms, longest main-thread task ${longest} ms`,
  );
  // Timing goals live in the bench; this catches a gross regression only.
  check(
    'with 200 runs of 10,000 steps a toggle, sort or grouping redraws within 2 s',
    worst < 2000,
    `median ${median} ms, worst ${worst} ms, longest task ${longest} ms`,
  );
  await setDropdown(dash2.locator('.group-by vscode-dropdown'), 'cell');
  await shot('runs-7-200-runs-grouped');
  fs.rmSync(big, { recursive: true, force: true });
}

/**
 * A run's data changing while the pointer is over the table (here its tags, written to disk as
 * another window would) must not replace the row under the pointer (that swallowed clicks); once
 * the pointer leaves, the table shows the change.
 */
/** The text of a run row's tag, '' when it has none (never waits for one to appear). */
const tagOf = (row) => row.evaluate((tr) => tr.querySelector('.tag')?.textContent ?? '');

async function rebuildWaitsForThePointer({ page, dash, table, ws, check, until, shot }) {
  const id = '20260102-000000-run0';
  const row = table.locator(`tr[data-run$="${id}"]`);
  await row.evaluate((tr) => (tr.dataset.probe = 'before'));
  await row.locator('.run-name').hover();
  fs.writeFileSync(
    path.join(ws, '.seqlab/runs', id, 'annotations.json'),
    JSON.stringify({ tags: ['hovered'] }),
  );
  const tableBox = dash.locator('.table-box');
  // The pointer keeps moving over the row, as it does before a click: the table counts as in use.
  let wiggle = 0;
  await until(
    'the changed run to reach the table',
    async () => {
      await row.locator('.run-name').hover({ position: { x: 4 + (wiggle++ % 3), y: 4 } });
      return (await tableBox.getAttribute('data-pending')) === 'true';
    },
    {
      soft: true,
    },
  );
  const kept = await row.evaluate((tr) => tr.dataset.probe === 'before' && !tr.querySelector('.tag'));
  check(
    'a run changing under the pointer does not rebuild the runs table until the pointer leaves',
    (await tableBox.getAttribute('data-pending')) === 'true' && kept,
    `pending=${await tableBox.getAttribute('data-pending')}, row kept=${kept}`,
  );
  await dash.locator('input.filter').hover();
  await until('the table to show the change', async () => (await row.locator('.tag').count()) === 1, {
    soft: true,
    timeout: 10_000,
  });
  const shown = await row.evaluate(
    (tr) => !tr.dataset.probe && tr.querySelector('.tag')?.textContent === 'hovered',
  );
  check('once the pointer leaves, the runs table shows the change', shown);
  await shot('runs-6b-change-after-pointer-left');
  // A pointer resting on the table (someone watching a run) does not hold a change back.
  await row.locator('.run-name').hover();
  fs.writeFileSync(
    path.join(ws, '.seqlab/runs', id, 'annotations.json'),
    JSON.stringify({ tags: ['rested'] }),
  );
  const t0 = Date.now();
  await until('the change to show under a resting pointer', async () => (await tagOf(row)) === 'rested', {
    soft: true,
    timeout: 10_000,
  });
  const rested = (await tagOf(row)) === 'rested';
  check(
    'a change shows under a pointer resting on the runs table',
    rested,
    `shown after ${((Date.now() - t0) / 1000).toFixed(1)} s, tag ${await tagOf(row)}`,
  );
  await page.mouse.move(0, 0);
}

/**
 * Keyboard focus on a row's control survives a rebuild that adds a column (a new run whose
 * config differs where all others agreed): it was kept by column and element position, and
 * landed elsewhere or nowhere.
 */
async function focusSurvivesANewColumn({ dash, table, ws, check, until }) {
  const id = '20260102-000001-run1';
  await table.locator(`tr[data-run$="${id}"] [data-focus="edit"]`).focus();
  const columns = await table.locator('thead th').count();
  const builds = await dash.locator('.table-box').getAttribute('data-builds');
  writeRun(ws, '20260102-000010-longer', {
    config: { cell: 'lstm', hidden: 16, seed: 1 },
    steps: 150,
    evalEvery: 50,
    floor: 1.5,
  });
  await until(
    'the new run to add a column',
    async () => (await table.locator('thead th').count()) > columns,
    { soft: true, timeout: 30_000 },
  );
  const added = (await table.locator('thead th').count()) - columns;
  const focused = await table.evaluate(() => {
    const a = document.activeElement;
    return `${a?.getAttribute('data-focus')} in ${a?.closest('tr')?.dataset.run?.split(/[\\/]/).pop()}`;
  });
  check(
    'keyboard focus stays on the same control of the same run when a rebuild adds a column',
    added > 0 &&
      focused === `edit in ${id}` &&
      (await dash.locator('.table-box').getAttribute('data-builds')) !== builds,
    `${added} column(s) added; focus on ${focused}`,
  );
}

/** Opens a folder in the workbench and the dashboard from the palette. */
async function openDashboard(page, serverUrl, folder, log) {
  await page.goto(`${serverUrl}/?folder=${encodeURIComponent(folder)}`, { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  log(`workbench loaded on ${path.basename(folder)}`);
  for (let attempt = 0; attempt < 20; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input.input').fill('>SeqLab: Open Training Dashboard');
    const item = page
      .locator('.quick-input-list .monaco-list-row', { hasText: 'Open Training Dashboard' })
      .first();
    const found = await item.waitFor({ timeout: 3000 }).then(
      () => true,
      () => false,
    );
    if (found) {
      await item.click();
      return;
    }
  }
  throw new Error('the palette never offered "SeqLab: Open Training Dashboard"');
}

/** The dashboard webview's inner frame, as a locator root. */
async function dashboardFrame(page, until) {
  const wv = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  await until('the dashboard', () => wv.locator('table.runs-table, .empty').first().isVisible(), {
    timeout: 60_000,
  });
  return wv;
}

/** The page frame that holds `selector` (for evaluate, which frame locators lack). */
async function frameOf(page, selector) {
  for (const f of page.frames())
    if (
      await f
        .locator(selector)
        .count()
        .catch(() => 0)
    )
      return f;
  throw new Error(`no frame holds ${selector}`);
}

/** Sets a toolkit dropdown's value as a user's pick would (its change event). */
async function setDropdown(dropdown, value) {
  await dropdown.evaluate((d, v) => {
    d.value = v;
    d.dispatchEvent(new Event('change'));
  }, value);
}
