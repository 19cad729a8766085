// Model inspection in the browser: a code file coloured by surprisal (the surprise heatmap), then
// by the unit the Units view ranks first (clicked there), and the gate-saturation scatter plot.
// Uses the completion model chosen earlier in e2e.mjs. Called from one line of e2e.mjs.
import fs from 'fs';
import path from 'path';

/**
 * @param {{ page: import('playwright-core').Page, ws: string, shot: (name: string) => Promise<void>,
 *   check: (name: string, ok: boolean, detail?: string) => void, log: (...a: unknown[]) => void,
 *   until: (what: string, fn: () => Promise<unknown>, o?: object) => Promise<unknown> }} t
 */
export async function inspectTour({ page, ws, shot, check, log, until }) {
  const code = ['function add(a, b) {', '  // the sum of "a" and "b"', '  return [a + b];', '}', ''].join(
    '\n',
  );
  fs.writeFileSync(path.join(ws, 'inspect-me.js'), code.repeat(6));
  // Quick Open finds a file only once the file watcher has seen it: ask again until it does.
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'inspect-me.js' }).first();
  await until(
    'Quick Open to find inspect-me.js',
    async () => {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+P');
      await page.locator('.quick-input-widget input.input').fill('inspect-me.js');
      return row.waitFor({ timeout: 3_000 }).then(
        () => true,
        () => false,
      );
    },
    { timeout: 60_000 },
  );
  await page.keyboard.press('Enter');
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget input.input').fill('>SeqLab: Inspect Model on This File');
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: 'Inspect Model on This File' })
    .first()
    .click();
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: 'The completion model' })
    .first()
    .click();
  // The Units view opens beside the editor once the inspection is painted.
  let units;
  await until(
    'the Units view to list units',
    async () => {
      for (const f of page.frames())
        if (
          await f
            .locator('tr.unit')
            .count()
            .catch(() => 0)
        )
          units = f;
      return units;
    },
    { timeout: 60_000, soft: true },
  );
  check('the Units view ranks units by feature', Boolean(units));
  // Background decorations are drawn in the editor's overlay layer as elements whose class
  // names start with "ced-" (VS Code's generated decoration classes).
  const decorated = page.locator(
    '.monaco-editor .view-overlays [class*="ced-"], .monaco-editor .view-lines [class*="ced-"]',
  );
  await until('the editor to be coloured', async () => (await decorated.count().catch(() => 0)) > 0, {
    timeout: 15_000,
    soft: true,
  });
  const coloured = await decorated.count().catch(() => 0);
  check('the editor is coloured by surprisal', coloured > 0, `${coloured} decorated spans`);
  await shot('15-inspect-surprise-heatmap');
  if (!units) return;
  const first = units.locator('tr.unit').first();
  const unit = await first.getAttribute('data-unit');
  await first.click();
  await until(
    'the editor to be coloured by the unit',
    async () => units.locator('tr.unit.selected').count(),
    { timeout: 15_000, soft: true },
  );
  check(
    'clicking a unit colours the editor by it',
    (await units.locator('tr.unit.selected').count()) > 0,
    unit ?? '',
  );
  await shot('16-inspect-unit-over-code');
  const plot = units.locator('svg.plot').first();
  await plot.waitFor({ timeout: 30_000 }).catch(() => {});
  await plot.scrollIntoViewIfNeeded().catch(() => {});
  check('the gate saturation scatter plot is drawn', (await units.locator('svg.plot circle').count()) > 0);
  await shot('17-inspect-gate-saturation');
  log('inspect tour done');
}
