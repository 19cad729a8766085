// Browser end-to-end test: the packaged .vsix installed into code-server, driven through the UI
// with playwright-core and Debian's chromium. Screenshots go to test-output/e2e/.
import fs from 'fs';
import os from 'os';
import path from 'path';
import {
  installVsix,
  launchBrowser,
  ROOT,
  seedSettings,
  startCodeServer,
} from '../../scripts/code-server.mjs';
import { walkthroughTour } from './walkthrough.mjs';
import { inspectTour } from './inspect.mjs';
import { runsTableTour } from './runsTable.mjs';
import { tasksTour } from './tasks.mjs';
import { translatorTour } from './translator.mjs';
import { setTheme } from './theme.mjs';

const OUT = path.join(ROOT, 'test-output/e2e');
const PORT = Number(process.env.E2E_PORT ?? 8392);
// E2E_ONLY=tasks (comma-separated: main, runs, tasks, seq2seq) runs only those parts; unset, every part runs.
const ONLY = process.env.E2E_ONLY?.split(',').map((s) => s.trim());
const want = (part) => !ONLY || ONLY.includes(part);
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const vsix = process.env.SEQLAB_VSIX ?? path.join(ROOT, `${pkg.name}-${pkg.version}.vsix`);
fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(OUT, { recursive: true });
const state = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-e2e-'));
const ws = path.join(state, 'workspace');
fs.cpSync(path.join(ROOT, 'test/fixtures/corpus'), path.join(ws, 'corpus'), { recursive: true });
// A second folder whose seqlab.json asks for a long GRU run: no prompts, time to watch it live.
fs.cpSync(path.join(ROOT, 'test/fixtures/corpus'), path.join(ws, 'corpus2'), { recursive: true });
// A synthetic finished run of 100,000 steps, to see the dashboard load and draw a long history.
{
  const dir = path.join(ws, '.seqlab/runs/20260101-000000-lstm-big0');
  fs.mkdirSync(path.join(dir, 'checkpoints'), { recursive: true });
  const model = {
    cell: 'lstm',
    activation: 'tanh',
    vocabSize: 96,
    embedding: 64,
    hidden: 256,
    layers: 2,
    dropout: 0,
  };
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      runId: 'big',
      folder: ws,
      createdAt: '2026-01-01T00:00:00Z',
      train: { tokenizer: 'char', clip: 5 },
      model,
      parent: null,
    }),
  );
  fs.writeFileSync(
    path.join(dir, 'status.json'),
    JSON.stringify({ status: 'finished', pid: 1, step: 100000 }),
  );
  const lines = [];
  for (let i = 1; i <= 100_000; i++) {
    const loss = 1.2 + 3 * Math.exp(-i / 8000) + 0.05 * Math.sin(i / 37) + (i === 61_234 ? 4 : 0);
    lines.push(
      JSON.stringify({
        type: 'step',
        time: i,
        step: i,
        epoch: 0,
        loss,
        gradNorm: 0.5 + 0.2 * Math.sin(i / 91),
        layerGradNorms: { layer_0: 0.3, layer_1: 0.4 },
        clipped: false,
        lr: 0.002,
        tokensPerSec: 3000,
        tokensSeen: i * 2048,
        elapsedSeconds: i * 0.7,
      }),
    );
    if (i % 1000 === 0)
      lines.push(
        JSON.stringify({
          type: 'eval',
          time: i,
          step: i,
          valLoss: loss + 0.1,
          perplexity: Math.exp(loss + 0.1),
          bpc: (loss + 0.1) / Math.LN2,
          tokensSeen: i * 2048,
        }),
      );
  }
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
}
fs.writeFileSync(
  path.join(ws, 'corpus2', 'seqlab.json'),
  JSON.stringify({ preset: 'tiny', cell: 'gru', steps: 20000, evalEvery: 50 }),
);
// An empty file to type into for the inline-completion check.
fs.writeFileSync(path.join(ws, 'draft.txt'), '');
// The e2e's completion model trains for seconds and is rarely 70% sure of anything, so the
// confidence gate (tested in the integration suite) would rightly hide every suggestion: this
// test is about ghost text and accepting it, so it shows the gated-off text too.
fs.mkdirSync(path.join(ws, '.vscode'), { recursive: true });
fs.writeFileSync(
  path.join(ws, '.vscode', 'settings.json'),
  JSON.stringify({ 'seqlab.completion.minConfidence': 0 }, null, 2),
);
seedSettings(state, { 'workbench.colorTheme': process.env.E2E_THEME ?? 'Default Dark Modern' });

const t0 = Date.now();
const log = (...a) => console.log(`[e2e ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
let passed = 0;
let failed = 0;
const check = (name, ok, detail = '') => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? '✔' : '✘'} ${name}${detail ? ` — ${detail}` : ''}`);
};

if (!fs.existsSync(vsix)) throw new Error(`${vsix} not found: run npm run package first`);
await installVsix(state, vsix);
const server = await startCodeServer(state, PORT);
const { context, close } = await launchBrowser();
const page = await context.newPage();
/**
 * Waits for a condition instead of a fixed time: calls `fn` until it returns a truthy value and
 * returns that value. After `timeout` ms it throws, naming what it waited for, unless `soft`, in
 * which case it returns the last value and the check that follows reports the miss with it.
 */
async function until(what, fn, { timeout = 15_000, interval = 200, soft = false } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v || Date.now() > end) {
      if (v || soft) return v;
      throw new Error(`timed out after ${timeout / 1000}s waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
/**
 * Two animation frames in every frame of the page: whatever was scheduled to draw has drawn.
 * A hidden frame gets no animation frames, so each waits at most a second.
 */
const painted = async () => {
  for (const f of page.frames())
    await Promise.race([
      f
        .evaluate(
          () =>
            new Promise((r) => {
              requestAnimationFrame(() => requestAnimationFrame(r));
              setTimeout(r, 1000);
            }),
        )
        .catch(() => {}),
      // A frame being torn down (a closing webview) never runs the script: don't wait on it.
      new Promise((r) => setTimeout(r, 2000)),
    ]);
};
const shot = async (name) => {
  await painted();
  await page.screenshot({ path: path.join(OUT, `${name}.png`) });
  log('screenshot', name);
};

e2e: try {
  // Each in a workspace of its own: the parts below reload theirs and see none of their runs.
  if (want('runs')) await runsTableTour({ page, serverUrl: server.url, shot, check, log, until, out: OUT });
  if (want('tasks'))
    await tasksTour({ page, url: server.url, ws, out: OUT, shot, painted, check, log, until });
  if (want('seq2seq'))
    await translatorTour({ page, url: server.url, ws, out: OUT, shot, painted, check, log, until });
  if (!want('main')) break e2e;
  await page.goto(`${server.url}/?folder=${encodeURIComponent(ws)}`, { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  await page.locator('.explorer-folders-view').first().waitFor({ timeout: 60_000 });
  log('workbench loaded');

  // 1. Right-click the corpus folder → "Train RNN on Folder…". The menu item appears once the
  // remote extension host has registered the contribution: retry until it does.
  const folderRow = page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^corpus$/ }).first();
  await folderRow.waitFor({ timeout: 30_000 });
  const tiny = page.locator('.quick-input-widget .monaco-list-row', { hasText: /^tiny/ }).first();
  let menuSeen = false;
  // Right-click → "Train RNN on Folder…", retried: right after load the menu item may not be
  // contributed yet, and a click while the menu animates can be lost.
  async function trainViaMenu(row, expect, label = 'Train RNN on Folder') {
    for (let attempt = 0; attempt < 30; attempt++) {
      await page.keyboard.press('Escape');
      await row.click({ button: 'right' });
      const item = page.locator('.context-view .monaco-menu .action-item', { hasText: label }).first();
      try {
        await item.waitFor({ timeout: 3000 });
      } catch {
        continue;
      }
      if (!menuSeen && label === 'Train RNN on Folder') await shot('1-explorer-context-menu');
      menuSeen = true;
      await item.hover();
      await item.click();
      try {
        await expect.waitFor({ timeout: 5000 });
        return true;
      } catch {
        log(`menu click had no effect (attempt ${attempt + 1}); retrying`);
      }
    }
    return false;
  }
  const pickerSeen = await trainViaMenu(folderRow, tiny);
  check('explorer context menu offers "Train RNN on Folder…"', menuSeen);
  check('choosing it asks for a preset', pickerSeen);
  if (!pickerSeen) throw new Error('the preset picker never appeared');

  // 2. Pick the tiny preset.
  await shot('2-preset-picker');
  await tiny.click();
  // 2b. Where to train: the built-in engine (PyTorch is offered when an interpreter has torch).
  const builtIn = page.locator('.quick-input-widget .monaco-list-row', { hasText: /^Built-in/ }).first();
  const whereAsked = await builtIn.waitFor({ timeout: 15_000 }).then(
    () => true,
    () => false,
  );
  if (whereAsked) {
    await shot('2b-where-to-train');
    await builtIn.click();
  }

  // 3. Progress notification and status-bar item while training.
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'SeqLab' }).first();
  await toast.waitFor({ timeout: 30_000 });
  const status = page.locator('.statusbar-item', { hasText: /SeqLab/ }).first();
  await status.waitFor({ timeout: 30_000 });
  await page
    .locator('.statusbar-item', { hasText: /loss \d/ })
    .first()
    .waitFor({ timeout: 30_000 });
  const statusText = (await status.innerText()).trim();
  check(
    'progress notification shows while training',
    await toast.isVisible(),
    (await toast.innerText()).split('\n').join(' '),
  );
  check(
    'status-bar item shows step, loss and tokens/s',
    /SeqLab \d+\/\d+ · loss \d+\.\d+ · [\d.]+k? tok\/s/.test(statusText),
    statusText,
  );
  await shot('3-training-progress');

  // 4. The checkpoint appears in the SeqLab tree.
  await page
    .locator(
      '.activitybar .action-item a[aria-label^="SeqLab"], .activitybar .action-label[aria-label^="SeqLab"]',
    )
    .first()
    .click();
  const runRow = page.locator('.monaco-list-row', { hasText: /LSTM 64/ }).first();
  await runRow.waitFor({ timeout: 30_000 });
  const done = page
    .locator('.notifications-toasts .notification-toast', { hasText: /finished at step/ })
    .first();
  await done.waitFor({ timeout: 120_000 });
  check(
    'a notification reports the validation loss when the run finishes',
    /validation loss \d/.test(await done.innerText()),
    (await done.innerText()).replace(/\s+/g, ' '),
  );
  if ((await runRow.getAttribute('aria-expanded')) !== 'true') await runRow.click();
  const ckRow = page
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: /^step 300$/ }) })
    .first();
  await ckRow.waitFor({ timeout: 30_000 });
  // The row can show the checkpoint while it is still being written ("saving…"); the tree
  // refreshes once it is renamed into place.
  let ckText = '';
  await until(
    'the checkpoint row to show bpc',
    async () => /bpc/.test((ckText = (await ckRow.innerText()).replace(/\n/g, ' '))),
    { soft: true },
  );
  check(
    'the checkpoint appears in the Checkpoints tree with loss and bpc',
    /step 300.*val \d+\.\d+ · \d+\.\d+ bpc/.test(ckText),
    ckText,
  );
  await ckRow.hover();
  await shot('4-checkpoint-tree');

  // 5. The dashboard, from the finish notification's button.
  await done.locator('.monaco-button', { hasText: 'Open Dashboard' }).first().click();
  const wv = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  const body = wv.locator('body');
  await wv.locator('#chart-loss canvas').first().waitFor({ timeout: 30_000 });
  const dataPoints = async () => Number(await body.getAttribute('data-points'));
  // Steps recorded by the overlaid runs: a long run reaches the webview thinned (data-points).
  const dataSteps = async () => Number(await body.getAttribute('data-steps'));
  await until('the dashboard to draw 300 steps', async () => (await dataPoints()) >= 300, { soft: true });
  const points = await dataPoints();
  check(
    'the dashboard plots the finished run from metrics.jsonl',
    points >= 300,
    `${points} steps, drawn in ${await body.getAttribute('data-render-ms')} ms`,
  );
  check(
    'the gradients-through-time chart and heatmap are drawn',
    (await wv.locator('#chart-time canvas').count()) > 0 &&
      (await wv.locator('#chart-heat canvas').count()) > 0,
  );
  await shot('5-dashboard-dark');

  // 6. A second, long run (its seqlab.json skips the prompts) joins the open dashboard live.
  await page.locator('.activitybar .action-label[aria-label^="Explorer"]').first().click();
  const folder2 = page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^corpus2$/ }).first();
  await folder2.waitFor({ timeout: 15_000 });
  check(
    'a folder with seqlab.json trains without prompts',
    await trainViaMenu(folder2, page.locator('.statusbar-item', { hasText: /loss \d/ }).first()),
  );
  await page
    .locator('.statusbar-item', { hasText: /SeqLab/ })
    .first()
    .click();
  await wv.locator('body[data-series="2"]').waitFor({ timeout: 30_000 });
  const before = await dataPoints();
  await until('the live run to add points', async () => (await dataPoints()) > before, {
    timeout: 30_000,
    soft: true,
  });
  const after = await dataPoints();
  check('while a run trains, the loss chart gains points', after > before, `${before} → ${after}`);
  check('two runs are overlaid', Number(await body.getAttribute('data-series')) === 2);
  await shot('6-dashboard-live-overlay');

  // 7. Light and high-contrast themes: colours come from VS Code's theme variables.
  for (const [theme, name] of [
    ['Light Modern', '7-dashboard-light'],
    ['High Contrast', '8-dashboard-high-contrast'],
  ]) {
    await setTheme(page, wv, theme);
    await shot(name);
  }
  // 8. Stop run, from the dashboard, clicked as a user clicks: the pointer moves onto the button,
  // presses and releases. (Playwright's own click first waits for its target to hold still and
  // checks what is under the pointer; on a loaded machine the table, which holds its rows only
  // while the pointer moved in the last 1.5 s, can be rebuilt in between, every time.) Stopping
  // saves a checkpoint first, which can take seconds: the button is pressed again only if the run
  // still trains 20 s later.
  const stopButton = wv.locator('vscode-button', { hasText: 'Stop run' }).first();
  const builds = async () => Number(await wv.locator('.table-box').getAttribute('data-builds'));
  const builds0 = await builds();
  const tBuilds = Date.now();
  await stopButton.scrollIntoViewIfNeeded();
  const stopped = page
    .locator('.notifications-toasts .notification-toast', { hasText: /stopped at step/ })
    .first();
  const runsRoot = path.join(ws, '.seqlab/runs');
  const stoppedOnDisk = () =>
    fs
      .readdirSync(runsRoot)
      .map((id) => path.join(runsRoot, id))
      .map((dir) => ({ dir, status: JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8')) }))
      .find((r) => r.status.status === 'stopped');
  let pressedAt = 0;
  let presses = 0;
  await until(
    'a click on "Stop run" to stop the run',
    async () => {
      if (stoppedOnDisk() && (await stopped.isVisible())) return true;
      const box = Date.now() - pressedAt > 20_000 ? await stopButton.boundingBox({ timeout: 2_000 }) : null;
      if (box) {
        const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
        await page.mouse.move(x - 4, y);
        await page.mouse.move(x, y, { steps: 2 });
        await page.mouse.down();
        await page.mouse.up();
        pressedAt = Date.now();
        presses++;
      }
      return false;
    },
    { timeout: 90_000, interval: 500 },
  );
  log(
    `"Stop run" pressed ${presses} time(s); the runs table was built ${(await builds()) - builds0} times in ${((Date.now() - tBuilds) / 1000).toFixed(1)} s while a run trained`,
  );
  // The stopped run's status and its last checkpoint, on disk.
  const stoppedRun = stoppedOnDisk();
  check(
    '"Stop run" in the dashboard stops the run after saving a checkpoint',
    !!stoppedRun &&
      fs.existsSync(path.join(stoppedRun.dir, 'checkpoints', stoppedRun.status.latest, 'manifest.json')),
    (await stopped.innerText()).replace(/\s+/g, ' '),
  );

  // 9. A run of 100,000 steps loads from metrics.jsonl and is drawn downsampled.
  // By its folder name: a row's text runs its cells together, and six zero-valued config cells in
  // a row read "000000" too.
  const bigRow = wv.locator('table.runs-table tbody tr[data-run$="-lstm-big0"]').first();
  let bigPoints = 0;
  // The runs table re-renders when the tree refreshes (the stopped run's files): a click that
  // lands during a re-render is lost, so click again (every 10 s) while the run is not selected.
  let lastClick = 0;
  await until(
    'the 100,000-step run to load',
    async () => {
      const box = bigRow.locator('input.pick').first();
      if (Date.now() - lastClick > 10_000 && !(await box.evaluate((e) => e.checked))) {
        lastClick = Date.now();
        await box.click();
      }
      return (bigPoints = await dataSteps()) >= 100_000;
    },
    { timeout: 60_000, interval: 500, soft: true },
  );
  check(
    'a 100,000-step run loads into the dashboard',
    bigPoints >= 100_000,
    `${bigPoints} steps in view (${await dataPoints()} points drawn), last redraw ${await body.getAttribute('data-render-ms')} ms`,
  );
  // Redraw once more with the data in place: the figure reported is the steady-state render time.
  await wv.locator('vscode-dropdown').nth(1).click();
  await wv.locator('vscode-option', { hasText: 'x: tokens seen' }).first().click();
  // The change schedules one redraw on the next animation frame.
  await until('the x axis to switch to tokens', () =>
    wv
      .locator('vscode-dropdown')
      .nth(1)
      .evaluate((e) => e.value === 'tokens'),
  );
  await painted();
  console.log(
    `[e2e] 100k-step run: full redraw (3 runs, 5 charts) took ${await body.getAttribute('data-render-ms')} ms`,
  );
  await shot('9-dashboard-100k-steps');

  // 10. After a window reload the serializer restores the dashboard.
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  const wv2 = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  await wv2.locator('#chart-loss canvas').first().waitFor({ timeout: 60_000 });
  // The charts exist before the restored panel's runs have been read and drawn (seconds apart
  // on a loaded machine): wait for the points themselves.
  const restoredPoints = async () => Number(await wv2.locator('body').getAttribute('data-points'));
  await until('the restored dashboard to draw its runs', async () => (await restoredPoints()) > 0, {
    soft: true,
    timeout: 60_000,
  });
  check(
    'the dashboard is restored after a reload',
    (await restoredPoints()) > 0,
    `${await restoredPoints()} points drawn`,
  );
  await shot('10-dashboard-after-reload');

  // 11. Inline completion: pick the first run's latest checkpoint from the palette, type, see
  // ghost text, accept it with Tab.
  const firstRun = fs
    .readdirSync(runsRoot)
    .map((id) => ({
      id,
      status: JSON.parse(fs.readFileSync(path.join(runsRoot, id, 'status.json'), 'utf8')),
    }))
    .find((r) => r.status.status === 'finished' && r.id.includes('lstm') && !r.id.includes('big0'));
  const modelLabel = `${firstRun.id} / ${firstRun.status.latest}`;
  // Right after the reload a click on the palette's row can land while its list re-renders (and
  // run nothing), or the extension can still be activating: ask again until the checkpoint
  // picker lists the run's checkpoint.
  const quickInput = page.locator('.quick-input-widget input.input');
  const pickerRow = page.locator('.quick-input-list .monaco-list-row', { hasText: firstRun.status.latest });
  await until(
    'the checkpoint picker of "Use Checkpoint for Completion"',
    async () => {
      if ((await quickInput.isVisible()) && (await pickerRow.count()) > 0) return true;
      await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      await quickInput.fill('>SeqLab: Use Checkpoint for Completion');
      await page
        .locator('.quick-input-list .monaco-list-row', { hasText: 'Use Checkpoint for Completion' })
        .first()
        .click();
      await pickerRow.first().waitFor({ timeout: 10_000 });
      return true;
    },
    { timeout: 60_000, interval: 500 },
  );
  await quickInput.fill(modelLabel);
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: firstRun.status.latest })
    .first()
    .click();
  const completionStatus = page.locator('.statusbar-item', { hasText: firstRun.status.latest }).first();
  await completionStatus.waitFor({ timeout: 20_000 });
  check(
    'the status bar shows the completion model',
    (await completionStatus.innerText()).includes(firstRun.status.latest),
    (await completionStatus.innerText()).trim(),
  );
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input.input').fill('draft.txt');
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: 'draft.txt' })
    .first()
    .waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  const editorLines = page.locator('.editor-instance .monaco-editor .view-lines').first();
  await editorLines.click();
  const prefix = 'The hidden state is com';
  await page.keyboard.type(prefix, { delay: 30 });
  // Monaco may draw one ghost text in several spans.
  const ghost = page.locator('.monaco-editor .ghost-text-decoration');
  const ghostNow = async () => (await ghost.allInnerTexts()).join('').replace(/\u00a0/g, ' ');
  let ghostText = '';
  try {
    await ghost.first().waitFor({ timeout: 20_000 });
    ghostText = await ghostNow();
  } catch {
    // reported by the check below
  }
  check('ghost text appears after typing', ghostText.trim().length > 0, JSON.stringify(ghostText));
  await shot('11-inline-completion');
  const draft = () => fs.readFileSync(path.join(ws, 'draft.txt'), 'utf8');
  const dirtyTab = page.locator('.tabs-container .tab.active.dirty');
  /** Saves, and reads the file once the tab is clean and the file differs from `previous`. */
  const savedText = async (previous) => {
    await page.keyboard.press('Control+S');
    await until('draft.txt to be saved', async () => (await dirtyTab.count()) === 0 && draft() !== previous, {
      timeout: 10_000,
      soft: true,
    });
    return draft();
  };
  // Partial accept: Ctrl+Right takes the next word of the suggestion, and the rest stays offered.
  await page.keyboard.press('Control+ArrowRight');
  const partial = await savedText(draft());
  check(
    'accept-word takes part of the completion',
    partial.length > prefix.length &&
      (prefix + ghostText).startsWith(partial) &&
      partial !== prefix + ghostText,
    JSON.stringify(partial),
  );
  await page.keyboard.press('Tab');
  const saved = await savedText(partial);
  check('Tab accepts the rest of the completion', saved === prefix + ghostText, JSON.stringify(saved));
  await shot('12-completion-accepted');

  // 12. Compare cells from the explorer menu: three runs grouped in the tree, the table as a
  // Markdown preview. A short budget: the point is the flow, not the numbers.
  fs.writeFileSync(
    path.join(ws, 'corpus', 'seqlab.json'),
    JSON.stringify({ preset: 'tiny', steps: 60, evalEvery: 30 }),
  );
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+Shift+E');
  const corpusRow = page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^corpus$/ }).first();
  const previewTab = page.locator('.tabs-container .tab', { hasText: /compare\.md/ }).first();
  const compareStarted = await trainViaMenu(
    corpusRow,
    page.locator('.notifications-toasts .notification-toast', { hasText: 'SeqLab' }).first(),
    'Compare Cells on Folder',
  );
  check('explorer menu offers "Compare Cells on Folder…" and it starts', compareStarted);
  await previewTab.waitFor({ timeout: 180_000 });
  // The preview is a webview of its own: find the frame that holds the table.
  let tableText = '';
  await until(
    'the comparison table in the preview',
    async () => {
      for (const f of page.frames()) {
        const t = f.locator('table', { hasText: 'bits/char' });
        if (await t.count().catch(() => 0))
          tableText = await t
            .first()
            .innerText()
            .catch(() => '');
      }
      return tableText;
    },
    { timeout: 20_000, interval: 500, soft: true },
  );
  check(
    'the comparison table opens as a Markdown preview with a row per cell',
    ['rnn', 'lstm', 'gru'].every((c) => new RegExp(`^${c}\\s`, 'm').test(tableText)),
    tableText.split('\n').slice(0, 4).join(' | '),
  );
  // The dashboard opened with the three runs of the experiment overlaid.
  const compareId = fs.readdirSync(runsRoot).find((d) => /-compare-[0-9a-f]{4}$/.test(d));
  let overlaid = [];
  await until(
    'the dashboard to overlay the three runs',
    async () => {
      for (const f of page.frames()) {
        if (
          !(await f
            .locator('table.runs-table')
            .count()
            .catch(() => 0))
        )
          continue;
        overlaid = await f
          .locator('table.runs-table tbody tr', { hasText: compareId.slice(9, 15) })
          .evaluateAll((rows) =>
            rows.filter((r) => r.querySelector('input.pick')?.checked).map((r) => r.textContent.trim()),
          );
      }
      return overlaid.length >= 3;
    },
    { timeout: 20_000, interval: 500, soft: true },
  );
  check('the dashboard opens with the three runs overlaid', overlaid.length === 3, overlaid.join(' | '));
  // One notification for the comparison, none per cell (they stacked over the table).
  const toasts = await page
    .locator('.notifications-toasts .notification-toast')
    .allInnerTexts()
    .catch(() => []);
  check(
    'the comparison is announced once, not once per cell',
    toasts.filter((t) => /comparison .*compare-[0-9a-f]{4} finished: 3 of 3 cells/.test(t)).length === 1 &&
      !toasts.some((t) => /compare-[0-9a-f]{4}-(rnn|lstm|gru) (finished|stopped) at step/.test(t)),
    toasts.map((t) => t.split('\n')[0]).join(' | '),
  );
  await shot('13-compare-table');
  await page
    .locator(
      '.activitybar .action-item a[aria-label^="SeqLab"], .activitybar .action-label[aria-label^="SeqLab"]',
    )
    .first()
    .click();
  const group = page.locator('.monaco-list-row', { hasText: /^Compare RNN · LSTM · GRU/ }).first();
  await group.waitFor({ timeout: 20_000 }).catch(() => {});
  check('the three runs are grouped under the experiment in the Checkpoints tree', await group.isVisible());
  await shot('14-compare-tree');

  await inspectTour({ page, ws, shot, check, log, until });
  // 13. The Get Started walkthrough, step by step (test/e2e/walkthrough.mjs).
  await walkthroughTour({ page, ws, shot, check, log, until });
} catch (err) {
  failed++;
  console.log(`✘ e2e aborted: ${err?.stack ?? err}`);
  await page.screenshot({ path: path.join(OUT, 'failure.png') }).catch(() => {});
} finally {
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  await close();
  server.stop();
  process.exit(failed ? 1 : 0);
}
