// The classifier and forecaster dashboard panels, seen in the browser: a tiny classifier trained on
// the bundled labelled sample (Train Classifier on Folder…) and a tiny forecaster on a noisy
// seasonal series (Train Forecaster on CSV…), both from the explorer's menu, each then selected in
// the dashboard and its panels checked against what the run wrote to metrics.jsonl, in the dark
// and the light theme and at a narrow width. Runs in a workspace of its own, so the rest of the
// e2e sees no extra runs. Called from one line of e2e.mjs (E2E_ONLY=tasks runs only this).
import fs from 'fs';
import path from 'path';
import { ROOT } from '../../scripts/code-server.mjs';
import { cropPanels, events, guardedPart } from './part.mjs';
import { setTheme } from './theme.mjs';

/** The forecast prompts' answers: what the charts must show past the end of the data. */
const WINDOW = 24;
const HORIZON = 12;

/**
 * 15 years of a monthly series: trend, a yearly season and noise from a fixed-seed generator
 * (the same file every run), so the seasonal-naive baseline has a season to find.
 */
function seasonalCsv() {
  let s = 12345;
  const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
  const rows = ['month,visitors'];
  for (let t = 0; t < 180; t++) {
    const month = `${2010 + Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')}`;
    const v = 200 + 0.4 * t + 40 * Math.sin((2 * Math.PI * t) / 12) + 15 * Math.cos((4 * Math.PI * t) / 12);
    rows.push(`${month},${(v + 30 * (rand() + rand())).toFixed(1)}`);
  }
  return rows.join('\n') + '\n';
}

export const tasksTour = guardedPart('task dashboards', 't-failure', tour);

/**
 * @param {{ page: import('playwright-core').Page, url: string, ws: string, out: string,
 *   shot: (name: string) => Promise<void>, painted: () => Promise<void>,
 *   check: (name: string, ok: boolean, detail?: string) => void, log: (...a: unknown[]) => void,
 *   until: (what: string, fn: () => Promise<unknown>, o?: object) => Promise<unknown> }} t
 */
async function tour({ page, url, ws, out, shot, painted, check, log, until }) {
  const tws = path.join(path.dirname(ws), 'tasks-workspace');
  fs.cpSync(path.join(ROOT, 'media/sample/labelled'), path.join(tws, 'labelled'), { recursive: true });
  // No prompts past the label counts, and evaluations often enough to draw curves.
  fs.writeFileSync(
    path.join(tws, 'labelled', 'seqlab.json'),
    JSON.stringify({ preset: 'tiny', steps: 240, evalEvery: 30 }),
  );
  fs.writeFileSync(path.join(tws, 'visitors.csv'), seasonalCsv());
  const runsRoot = path.join(tws, '.seqlab/runs');
  const runOf = (re) => (fs.existsSync(runsRoot) ? fs.readdirSync(runsRoot) : []).find((d) => re.test(d));

  await page.goto(`${url}/?folder=${encodeURIComponent(tws)}`, { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  await page.locator('.explorer-folders-view').first().waitFor({ timeout: 60_000 });
  log('tasks workspace loaded');

  /** Right-click `name` in the explorer and choose `label`, retried until `expect` shows. */
  const fromMenu = async (name, label, expect) => {
    const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
    await row.waitFor({ timeout: 30_000 });
    for (let attempt = 0; attempt < 20; attempt++) {
      await page.keyboard.press('Escape');
      await row.click({ button: 'right' });
      const item = page.locator('.context-view .monaco-menu .action-item', { hasText: label }).first();
      if (
        !(await item.waitFor({ timeout: 3000 }).then(
          () => true,
          () => false,
        ))
      )
        continue;
      await item.hover();
      await item.click();
      if (
        await expect.waitFor({ timeout: 5000 }).then(
          () => true,
          () => false,
        )
      )
        return true;
      log(`"${label}" had no effect (attempt ${attempt + 1}); retrying`);
    }
    return false;
  };
  const finished = (re) => page.locator('.notifications-toasts .notification-toast', { hasText: re }).first();

  // 1. The classifier: the label counts first, then training with the folder's seqlab.json.
  const labelsDialog = page.locator('.monaco-dialog-box', { hasText: /labels in labelled/ }).first();
  check(
    'explorer menu "Train Classifier on Folder…" shows the labels and their counts',
    await fromMenu(/^labelled$/, 'Train Classifier on Folder', labelsDialog),
  );
  const dialogText = (await labelsDialog.innerText()).replace(/\s+/g, ' ');
  check("the counts are the sample's: 20 neg, 20 pos", /neg 20 · pos 20/.test(dialogText), dialogText);
  await shot('t1-classifier-labels');
  await labelsDialog.locator('.monaco-button', { hasText: 'Continue' }).first().click();
  const clsDone = finished(/\d{6}-lstm-[0-9a-f]{4} finished at step 240/);
  await clsDone.waitFor({ timeout: 180_000 });
  log('classifier trained');

  // 2. The forecaster: target column, window, horizon, model size.
  const pick = page.locator('.quick-input-widget');
  const input = pick.locator('input.input');
  check(
    'explorer menu "Train Forecaster on CSV…" asks for the column to forecast',
    await fromMenu(
      /^visitors\.csv$/,
      'Train Forecaster on CSV',
      pick.locator('.monaco-list-row', { hasText: 'visitors' }).first(),
    ),
  );
  await shot('t2-forecaster-columns');
  await pick.locator('.monaco-list-row', { hasText: 'visitors' }).first().click();
  // Other numeric columns would be offered as inputs: none here (the month column is text).
  await until('the window prompt', async () => {
    const text = (await pick.innerText().catch(() => '')) ?? '';
    if (/as inputs beside/.test(text)) await page.keyboard.press('Enter');
    return /window/.test(text);
  });
  for (const [what, value] of [
    [/window/, WINDOW],
    [/horizon/, HORIZON],
  ]) {
    await until(`the ${what.source} prompt`, async () =>
      what.test((await pick.innerText().catch(() => '')) ?? ''),
    );
    await input.fill(String(value));
    await page.keyboard.press('Enter');
  }
  await pick.locator('.monaco-list-row', { hasText: /^tiny/ }).first().click();
  const fcDone = finished(/-forecast-lstm-[0-9a-f]{4} finished at step/);
  await fcDone.waitFor({ timeout: 180_000 });
  log('forecaster trained');
  const clsId = runOf(/\d{6}-lstm-[0-9a-f]{4}$/);
  const fcId = runOf(/-forecast-/);
  if (!clsId || !fcId) throw new Error(`runs not found in ${runsRoot}`);
  const clsEv = events(path.join(runsRoot, clsId));
  const fcEv = events(path.join(runsRoot, fcId));

  // 3. The dashboard, from the forecaster's notification: that run alone.
  await fcDone.locator('.monaco-button', { hasText: 'Open Dashboard' }).first().click();
  const wv = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  const body = wv.locator('body');
  const section = (id) => wv.locator(`#${id}`);
  await section('chart-forecast-series').locator('canvas').first().waitFor({ timeout: 30_000 });
  // A run's row shows its label, "LSTM 1×64 · 114105": the time of day from its id.
  const row = (id) => wv.locator(`table.runs-table tbody tr[data-run$="/${id}"]`).first();
  /** Overlays exactly the runs in `ids`, clicking again while a re-render loses a click. */
  const select = async (ids) => {
    let last = 0;
    await until(
      `the dashboard to show ${ids.join(', ')}`,
      async () => {
        let ok = true;
        for (const id of [clsId, fcId]) {
          const box = row(id).locator('input.pick').first();
          if ((await box.evaluate((e) => e.checked)) !== ids.includes(id)) {
            ok = false;
            if (Date.now() - last > 3000) {
              last = Date.now();
              await box.click();
            }
          }
        }
        return ok && Number(await body.getAttribute('data-series')) === ids.length;
      },
      { timeout: 30_000, interval: 300 },
    );
    await painted();
  };
  await select([fcId]);
  const crop = (name, ids) => cropPanels({ page, section, out, painted, log }, name, ids);

  const latest = fcEv('forecastEval').at(-1);
  const shown = async (id) => (await section(id).evaluate((e) => getComputedStyle(e).display)) !== 'none';
  const attr = async (id, name) => Number(await section(id).getAttribute(`data-${name}`));
  const legend = async (id) =>
    (await section(id).locator('.u-legend .u-label').allInnerTexts()).map((s) => s.trim());
  await until(
    'the forecast charts to be drawn',
    async () => (await attr('chart-forecast-series', 'points')) > 0,
    {
      soft: true,
    },
  );
  check(
    'the validation series chart has one point per validation window, with the one-step forecasts',
    (await attr('chart-forecast-series', 'points')) === latest.series.actual.length &&
      latest.series.actual.length > 0,
    `${await attr('chart-forecast-series', 'points')} drawn, ${latest.series.actual.length} in metrics.jsonl`,
  );
  check(
    `the forecast past the end of the data has ${HORIZON} steps (the horizon asked for)`,
    (await attr('chart-forecast-future', 'forecast')) === HORIZON,
    `${await attr('chart-forecast-future', 'forecast')} forecast points`,
  );
  check(
    'the residuals chart has a residual per validation window',
    (await attr('chart-forecast-residuals', 'points')) === latest.residuals.length,
    String(await attr('chart-forecast-residuals', 'points')),
  );
  const errLegend = await legend('chart-forecast-error');
  check(
    'the error chart draws MAE and RMSE with the naive, seasonal-naive and linear-AR baselines',
    ['MAE', 'RMSE', 'naive MAE', 'seasonal naive MAE', 'linear AR MAE'].every((l) =>
      errLegend.some((x) => x.endsWith(l)),
    ),
    errLegend.join(' | '),
  );
  check(
    'the classifier panels are hidden while only a forecaster is shown',
    !(await shown('chart-classify')) && (await wv.locator('.classify table').count()) === 0,
  );
  await shot('t3-forecast-dashboard-dark');
  await crop('readme-forecast-dashboard', [
    'chart-loss',
    'chart-forecast-error',
    'chart-forecast-series',
    'chart-forecast-future',
  ]);
  await section('chart-forecast-future').scrollIntoViewIfNeeded();
  await shot('t4-forecast-dashboard-dark-lower');

  // 4. The classifier alone: accuracy and macro-F1 with the baselines, the confusion matrix and
  // the mistakes, at the latest evaluation and then at an earlier one.
  await select([clsId]);
  const evals = clsEv('classifyEval');
  const valFiles = clsEv('start')[0].corpus.valFiles;
  const matrix = async () =>
    (await wv.locator('.classify table.confusion td').allInnerTexts()).map((s) => Number(s));
  await until('the confusion matrix', async () => (await matrix()).length > 0, { soft: true });
  const cells = await matrix();
  const sum = cells.reduce((a, b) => a + b, 0);
  check(
    "the confusion matrix's cells add up to the validation examples",
    sum === valFiles && cells.length === evals.at(-1).labels.length ** 2,
    `${cells.join(' ')} → ${sum} of ${valFiles}`,
  );
  const mistakes = await wv.locator('.classify .mistakes .sample-head').allInnerTexts();
  const wrong =
    evals
      .at(-1)
      .confusion.flat()
      .reduce((a, b) => a + b, 0) - evals.at(-1).confusion.reduce((a, r, i) => a + r[i], 0);
  check(
    'the misclassified list has a row per mistake, each with true ≠ predicted',
    mistakes.length === Math.min(wrong, evals.at(-1).misclassified.length) &&
      mistakes.every((m) => {
        const [, truth, predicted] = /true (\S+) · predicted (\S+)/.exec(m) ?? [];
        return truth && predicted && truth !== predicted;
      }),
    `${mistakes.length} rows, ${wrong} mistakes: ${mistakes[0] ?? ''}`,
  );
  const accLegend = await legend('chart-classify');
  check(
    'the accuracy chart draws accuracy, macro-F1 and the majority and n-gram baselines',
    ['accuracy', 'macro-F1', 'majority', 'n-gram'].every((l) => accLegend.some((x) => x.includes(l))),
    accLegend.join(' | '),
  );
  check(
    'the forecaster panels are hidden while only a classifier is shown',
    !(await shown('chart-forecast-error')),
  );
  await shot('t5-classify-dashboard-dark');
  await crop('readme-classify-dashboard', ['chart-loss', 'chart-classify', 'classify-details']);
  await wv.locator('.classify').scrollIntoViewIfNeeded();
  await shot('t6-classify-details-dark');
  const early = evals[0];
  await wv.locator('.classify select').selectOption(String(early.step));
  await until('the matrix of the earlier evaluation', async () =>
    (await wv.locator('.classify').innerText()).includes(`accuracy ${early.accuracy.toFixed(3)}`),
  ).catch(() => {});
  check(
    'choosing an earlier evaluation shows its confusion matrix',
    JSON.stringify(await matrix()) === JSON.stringify(early.confusion.flat()),
    `step ${early.step}: ${(await matrix()).join(' ')}`,
  );

  // 5. The light theme, and a narrow window.
  await page.keyboard.press('Escape');
  await setTheme(page, wv, 'Light Modern');
  await wv.locator('.classify select').selectOption(String(evals.at(-1).step));
  await painted();
  await shot('t7-classify-dashboard-light');
  await select([fcId]);
  await shot('t8-forecast-dashboard-light');
  await page.setViewportSize({ width: 820, height: 900 });
  await painted();
  await shot('t9-forecast-narrow-light');
  await select([clsId]);
  await shot('t10-classify-narrow-light');
  await page.setViewportSize({ width: 1400, height: 900 });
  await setTheme(page, wv, 'Dark Modern');
  log('task dashboards done');
}
