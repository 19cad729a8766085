// The translator's dashboard panels, seen in the browser: a tiny translator trained on the bundled
// English–French pairs through the explorer's "Train Translator on Pairs…", then its dashboard
// opened from the finished notification, and the BLEU/chrF curves, the validation examples table
// and the attention heatmap of a chosen example checked against what the run wrote to
// metrics.jsonl, in the dark and the light theme. Runs in a workspace of its own, so the rest of
// the e2e sees no extra runs. Called from one line of e2e.mjs (E2E_ONLY=seq2seq runs only this).
import fs from 'fs';
import path from 'path';
import { ROOT } from '../../scripts/code-server.mjs';
import { cropPanels, events, guardedPart } from './part.mjs';
import { setTheme } from './theme.mjs';

const STEPS = 300;
const EVAL_EVERY = 50;
/** The example whose attention the tour opens (0-based): not the first, which shows by default. */
const CHOSEN = 1;

export const translatorTour = guardedPart('translator dashboard', 's-failure', tour);

/**
 * @param {{ page: import('playwright-core').Page, url: string, ws: string, out: string,
 *   shot: (name: string) => Promise<void>, painted: () => Promise<void>,
 *   check: (name: string, ok: boolean, detail?: string) => void, log: (...a: unknown[]) => void,
 *   until: (what: string, fn: () => Promise<unknown>, o?: object) => Promise<unknown> }} t
 */
async function tour({ page, url, ws, out, shot, painted, check, log, until }) {
  const tws = path.join(path.dirname(ws), 'translator-workspace');
  const home = path.join(tws, 'parallel');
  fs.mkdirSync(home, { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'media/sample/parallel/en-fr.tsv'), path.join(home, 'en-fr.tsv'));
  // No prompts past the preview of the pairs; evaluations often enough to draw curves; a quarter
  // of the pairs for validation, so the examples table has a few rows.
  fs.writeFileSync(
    path.join(home, 'seqlab.json'),
    JSON.stringify({
      preset: 'tiny',
      steps: STEPS,
      evalEvery: EVAL_EVERY,
      validationFraction: 0.25,
      'seq2seq.beam': 1,
    }),
  );
  const runsRoot = path.join(tws, '.seqlab/runs');

  await page.goto(`${url}/?folder=${encodeURIComponent(tws)}`, { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  await page.locator('.explorer-folders-view').first().waitFor({ timeout: 60_000 });
  log('translator workspace loaded');

  // 1. The explorer's menu on the pairs file: the counts and the first pairs, then training.
  const folderRow = page
    .locator('.explorer-folders-view .monaco-list-row', { hasText: /^parallel$/ })
    .first();
  await folderRow.waitFor({ timeout: 30_000 });
  if ((await folderRow.getAttribute('aria-expanded')) !== 'true') await folderRow.click();
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^en-fr\.tsv$/ }).first();
  await row.waitFor({ timeout: 30_000 });
  const dialog = page.locator('.monaco-dialog-box', { hasText: /Train a translator on them/ }).first();
  let opened = false;
  for (let attempt = 0; attempt < 20 && !opened; attempt++) {
    await page.keyboard.press('Escape');
    await row.click({ button: 'right' });
    const item = page.locator('.context-view .monaco-menu .action-item', {
      hasText: 'Train Translator on Pairs',
    });
    if (
      !(await item
        .first()
        .waitFor({ timeout: 3000 })
        .then(
          () => true,
          () => false,
        ))
    )
      continue;
    await item.first().hover();
    await item.first().click();
    opened = await dialog.waitFor({ timeout: 5000 }).then(
      () => true,
      () => false,
    );
    if (!opened) log(`"Train Translator on Pairs" had no effect (attempt ${attempt + 1}); retrying`);
  }
  // A refused seqlab.json or pairs file shows an error toast instead: name it.
  const toasts = async () =>
    (await page.locator('.notifications-toasts .notification-toast').allInnerTexts()).join(' | ');
  check(
    'explorer menu "Train Translator on Pairs…" shows the counts and the first pairs',
    opened,
    opened ? '' : await toasts(),
  );
  if (!opened) throw new Error('the preview of the pairs never appeared');
  const dialogText = (await dialog.innerText()).replace(/\s+/g, ' ');
  check(
    'the preview counts the pairs and shows the first ones',
    /35 pairs: \d+ train, \d+ validation/.test(dialogText) &&
      /First training pairs: \S.* → \S/.test(dialogText),
    dialogText.slice(0, 200),
  );
  await shot('s1-translator-preview');
  await dialog.locator('.monaco-button', { hasText: 'Train' }).first().click();
  const done = page
    .locator('.notifications-toasts .notification-toast', {
      hasText: new RegExp(`-s2s-lstm-[0-9a-f]{4} finished at step ${STEPS}`),
    })
    .first();
  await done.waitFor({ timeout: 300_000 });
  log('translator trained');
  const runId = fs.readdirSync(runsRoot).find((d) => /-s2s-lstm-/.test(d));
  if (!runId) throw new Error(`no translator run in ${runsRoot}`);
  const ev = events(path.join(runsRoot, runId));
  const scored = ev('eval').filter((e) => typeof e.bleu === 'number');
  const latest = ev('seq2seqEval').at(-1);

  // 2. The dashboard, from the notification: that run alone.
  await done.locator('.monaco-button', { hasText: 'Open Dashboard' }).first().click();
  const wv = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  const section = (id) => wv.locator(`#${id}`);
  await section('chart-seq2seq').locator('canvas').first().waitFor({ timeout: 30_000 });
  const attr = async (id, name) => await section(id).getAttribute(`data-${name}`);
  await until('the BLEU and chrF curves', async () => Number(await attr('chart-seq2seq', 'points')) > 0, {
    soft: true,
  });
  check(
    'the BLEU/chrF chart has a point per evaluation that translated',
    Number(await attr('chart-seq2seq', 'points')) === scored.length && scored.length >= STEPS / EVAL_EVERY,
    `${await attr('chart-seq2seq', 'points')} drawn, ${scored.length} in metrics.jsonl`,
  );
  check(
    "the curves end at the last evaluation's BLEU and chrF",
    (await attr('chart-seq2seq', 'bleu')) === scored.at(-1).bleu.toFixed(2) &&
      (await attr('chart-seq2seq', 'chrf')) === scored.at(-1).chrf.toFixed(2),
    `${await attr('chart-seq2seq', 'bleu')} / ${await attr('chart-seq2seq', 'chrf')} drawn, ${scored.at(-1).bleu} / ${scored.at(-1).chrf} in metrics.jsonl`,
  );
  const legend = (await section('chart-seq2seq').locator('.u-legend .u-label').allInnerTexts()).map((s) =>
    s.trim(),
  );
  check(
    'the chart draws BLEU and chrF',
    legend.some((l) => l.endsWith('BLEU')) && legend.some((l) => l.endsWith('chrF')),
    legend.join(' | '),
  );
  const heads = (await wv.locator('table.runs-table thead th').allInnerTexts()).map((s) => s.trim());
  check(
    "the runs table names the translator's scores as they are written (BLEU, chrF)",
    ['best BLEU', 'final BLEU', 'best chrF', 'final chrF'].every((h) => heads.some((x) => x.startsWith(h))),
    heads.join(' | '),
  );
  const examples = section('seq2seq-examples');
  const rows = examples.locator('table.examples tr:has(td)');
  const table = async () =>
    Promise.all(
      (await rows.all()).map(async (r) =>
        (await r.locator('td').allInnerTexts()).slice(1).map((s) => s.trim()),
      ),
    );
  const shown = await table();
  const expected = latest.examples.map((x) => [x.source, x.reference, x.output].map((s) => s.trim()));
  check(
    "the examples table is the latest evaluation's source, reference and output",
    JSON.stringify(shown) === JSON.stringify(expected) && shown.length > CHOSEN,
    `${shown.length} rows; first: ${JSON.stringify(shown[0])} vs ${JSON.stringify(expected[0])}`,
  );
  check(
    'the table names the step of that evaluation',
    (await examples.locator('h3').first().innerText()).includes(`at step ${latest.step}`),
  );

  // 3. The heatmap of a chosen example: a row per output piece, a column per source piece.
  await rows.nth(CHOSEN).click();
  await until(`the attention of example ${CHOSEN + 1}`, async () =>
    (await examples.innerText()).includes(`Attention of example ${CHOSEN + 1}`),
  );
  const map = latest.examples[CHOSEN].attention;
  const heat = examples.locator('table.attention-map');
  const columns = (await heat.locator('th.src').allInnerTexts()).length;
  const outRows = (await heat.locator('th.out').allInnerTexts()).length;
  const cells = await heat.locator('td').count();
  check(
    "the chosen example's heatmap has its output × source pieces",
    !!map && columns === map.source.length && outRows === map.output.length && cells === columns * outRows,
    `${outRows}×${columns} drawn, ${map?.output.length}×${map?.source.length} in metrics.jsonl`,
  );
  check(
    'the chosen row is marked, and each heatmap row outlines one peak',
    (await rows.nth(CHOSEN).getAttribute('class'))?.includes('chosen') &&
      (await heat.locator('td.peak').count()) === outRows,
  );
  const titles = await heat
    .locator('tr')
    .nth(1)
    .locator('td')
    .evaluateAll((tds) => tds.map((td) => td.title));
  const weights = titles.map((s) => Number(s.split(': ').pop()));
  const want = map.weights[0];
  check(
    "the heatmap's first row carries the weights the run recorded",
    weights.length === want.length && weights.every((w, j) => Math.abs(w - want[j]) < 1e-3),
    `${weights.map((w) => w.toFixed(3)).join(' ')} vs ${want.map((w) => w.toFixed(3)).join(' ')}`,
  );
  await shot('s2-translator-dashboard-dark');
  await examples.scrollIntoViewIfNeeded();
  await shot('s3-translator-examples-dark');
  // Little room above the panels: the runs table's last row sits just over the first one.
  await cropPanels(
    { page, section, out, painted, log },
    'readme-seq2seq-dashboard-dark',
    ['chart-loss', 'chart-seq2seq', 'seq2seq-examples'],
    2,
  );

  // 4. The light theme.
  await setTheme(page, wv, 'Light Modern');
  await painted();
  await shot('s4-translator-dashboard-light');
  // Little room above the panels: the runs table's last row sits just over the first one.
  await cropPanels(
    { page, section, out, painted, log },
    'readme-seq2seq-dashboard-light',
    ['chart-loss', 'chart-seq2seq', 'seq2seq-examples'],
    2,
  );
  await setTheme(page, wv, 'Dark Modern');
  log('translator dashboard done');
}
