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

const OUT = path.join(ROOT, 'test-output/e2e');
const PORT = Number(process.env.E2E_PORT ?? 8392);
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const vsix = process.env.SEQLAB_VSIX ?? path.join(ROOT, `${pkg.name}-${pkg.version}.vsix`);
fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(OUT, { recursive: true });
const state = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-e2e-'));
const ws = path.join(state, 'workspace');
fs.cpSync(path.join(ROOT, 'test/fixtures/corpus'), path.join(ws, 'corpus'), { recursive: true });
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
const shot = async (name) => {
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(OUT, `${name}.png`) });
  log('screenshot', name);
};

try {
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
  let pickerSeen = false;
  for (let attempt = 0; attempt < 30 && !pickerSeen; attempt++) {
    await page.keyboard.press('Escape');
    await folderRow.click({ button: 'right' });
    const item = page
      .locator('.context-view .monaco-menu .action-item', { hasText: 'Train RNN on Folder' })
      .first();
    try {
      await item.waitFor({ timeout: 2000 });
    } catch {
      await page.waitForTimeout(1000);
      continue;
    }
    if (!menuSeen) await shot('1-explorer-context-menu');
    menuSeen = true;
    await item.hover();
    await item.click();
    try {
      await tiny.waitFor({ timeout: 5000 });
      pickerSeen = true;
    } catch {
      log(`menu click did not open the preset picker (attempt ${attempt + 1}); retrying`);
    }
  }
  check('explorer context menu offers "Train RNN on Folder…"', menuSeen);
  check('choosing it asks for a preset', pickerSeen);
  if (!pickerSeen) throw new Error('the preset picker never appeared');

  // 2. Pick the tiny preset.
  await shot('2-preset-picker');
  await tiny.click();

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
  const ckText = (await ckRow.innerText()).replace(/\n/g, ' ');
  check(
    'the checkpoint appears in the Checkpoints tree with loss and bpc',
    /step 300.*val \d+\.\d+ · \d+\.\d+ bpc/.test(ckText),
    ckText,
  );
  await ckRow.hover();
  await shot('4-checkpoint-tree');

  // 5. The dashboard, from the finish notification's button.
  await done.locator('a.monaco-button, .monaco-button', { hasText: 'Open Dashboard' }).first().click();
  const wv = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  await wv.locator('#chart-loss canvas').first().waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1500);
  const points = Number(await wv.locator('body').getAttribute('data-points'));
  check('the dashboard plots the run from metrics.jsonl', points >= 300, `${points} steps`);
  check('the gradients-through-time chart is drawn', (await wv.locator('#chart-time canvas').count()) > 0);
  await shot('5-dashboard');
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
