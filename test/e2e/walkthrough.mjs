// The Get Started walkthrough, clicked through as a newcomer would: every step opened, its
// button pressed, its completion event seen (the step's checkmark), and a screenshot of each.
// Step 1 unpacks the bundled sample through the real folder dialog and trains on it from the
// notification; unpacking again into the same folder must ask, and "Skip" must leave the user's
// file as it was. Then the two default keybindings. Called once, at the end of e2e.mjs.
import fs from 'fs';
import path from 'path';

const STEPS = [
  { id: 'folder', button: 'Unpack Sample Corpus' },
  { id: 'train', button: 'Train RNN on Folder' },
  { id: 'dashboard', button: 'Open Training Dashboard' },
  { id: 'completion', button: 'Use Checkpoint for Completion' },
  { id: 'finetune', button: 'Fine-tune Checkpoint' },
  { id: 'compare', button: 'Compare Cells on Folder' },
  { id: 'next', button: null },
];

/**
 * @param {{ page: import('playwright-core').Page, ws: string, shot: (name: string) => Promise<void>,
 *   check: (name: string, ok: boolean, detail?: string) => void, log: (...a: unknown[]) => void,
 *   until: (what: string, fn: () => Promise<unknown>, o?: { timeout?: number }) => Promise<unknown> }} t
 */
export async function walkthroughTour({ page, ws, shot, check, log, until }) {
  const input = page.locator('.quick-input-widget input.input');
  // A focused webview (the dashboard) keeps F1 to itself, and one that has just loaded takes the
  // focus back and closes the palette: focus the workbench and try again.
  const runCommand = async (title) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await page.keyboard.press('Escape');
        if (attempt)
          await page
            .locator('.part.sidebar .composite.title')
            .first()
            .click()
            .catch(() => {});
        await page.keyboard.press('F1');
        await input.fill(`>${title}`, { timeout: 5000 });
        await page
          .locator('.quick-input-list .monaco-list-row', { hasText: title })
          .first()
          .click({ timeout: 5000 });
        return;
      } catch (err) {
        if (attempt === 3) throw err;
        log(`command palette lost "${title}"; retrying`);
      }
    }
  };
  // The rest of the e2e leaves the high-contrast theme on: the README's pictures are dark.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await runCommand('Preferences: Color Theme');
      await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 5000 });
      await input.fill('Dark Modern');
      await page
        .locator('.quick-input-list .monaco-list-row', { hasText: 'Dark Modern' })
        .first()
        .waitFor({ timeout: 5000 });
      await page.keyboard.press('Enter');
      await until(
        'the dark theme',
        async () => (await page.locator('.monaco-workbench.vs-dark').count()) > 0,
        {
          timeout: 5000,
        },
      );
      break;
    } catch {
      log('theme picker did not open; retrying');
    }
  }
  await page.keyboard.press('Escape');

  const container = page.locator('.gettingStartedContainer').first();
  // Always through the command: a Welcome tab brought forward may show its start page, whose
  // walkthrough buttons are disabled.
  const openWalkthrough = async () => {
    await runCommand('SeqLab: Get Started');
    await container.waitFor({ timeout: 20_000 });
    await page.locator('button.getting-started-step:not([disabled])').first().waitFor({ timeout: 20_000 });
  };
  const stepButton = (id) => page.locator(`button.getting-started-step[data-step-id$="#${id}"]`).first();
  const done = (id) => page.locator(`[data-done-step-id$="#${id}"]`).first();
  const isDone = async (id) =>
    (await done(id)
      .getAttribute('aria-checked')
      .catch(() => null)) === 'true';

  await openWalkthrough();
  const ids = await page
    .locator('button.getting-started-step')
    .evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-step-id')))]);
  check(
    '"SeqLab: Get Started" opens the walkthrough with its seven steps',
    STEPS.every((st) => ids.some((id) => id.endsWith(`#${st.id}`))),
    ids.join(', '),
  );

  const sampleDir = path.join(ws, 'sample-here');
  fs.mkdirSync(sampleDir, { recursive: true });
  // The folder dialog (code-server's simple dialog): type the folder, then accept it.
  const chooseFolder = async (dir) => {
    await input.waitFor({ timeout: 15_000 });
    // The dialog fills in its start folder once it has read it: type over that, not before it.
    // The same value twice, 400 ms apart: the dialog has stopped filling in.
    const steady = async (want) => {
      const v = await input.inputValue();
      await new Promise((r) => setTimeout(r, 400));
      return v.length > 0 && v === (await input.inputValue()) && (want === undefined || v === want);
    };
    await until('the folder dialog to show its start folder', () => steady());
    await input.fill(`${dir}/`);
    await until('the folder dialog to keep the typed folder', () => steady(`${dir}/`));
    log('folder dialog:', await input.inputValue());
    const ok = page
      .locator('.quick-input-widget .monaco-button', { hasText: 'Unpack the Sample Here' })
      .first();
    if (await ok.isVisible().catch(() => false)) await ok.click();
    else await page.keyboard.press('Enter');
    await input.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => {});
  };

  for (const [n, step] of STEPS.entries()) {
    await openWalkthrough();
    // The expanded step is a disabled button: click only the collapsed ones.
    if ((await stepButton(step.id).getAttribute('aria-expanded')) !== 'true')
      await stepButton(step.id).click();
    await page
      .locator(`button.getting-started-step.expanded[data-step-id$="#${step.id}"]`)
      .first()
      .waitFor({ timeout: 10_000 })
      .catch(() => {});
    // The step's Markdown or SVG is drawn into the media pane a moment after the step expands.
    await until(
      `step "${step.id}"'s media`,
      async () =>
        (await page.locator('.getting-started-media img, .getting-started-media iframe').count()) > 0,
      { timeout: 5000, soft: true },
    );
    await shot(`w${n + 1}-walkthrough-${step.id}`);
    if (step.button) {
      const btn = page
        .locator(`[x-step-description-for$="#${step.id}"]`)
        .locator('a, .monaco-button, button', { hasText: step.button })
        .first();
      await btn.click();
      if (step.id === 'folder') {
        await chooseFolder(sampleDir);
        const note = page
          .locator('.notifications-toasts .notification-toast', { hasText: /the sample is in/ })
          .first();
        await note.waitFor({ timeout: 20_000 });
        check(
          'step 1 unpacks the sample into the chosen folder',
          fs.existsSync(path.join(sampleDir, 'text', 'keeper-log.txt')) &&
            fs.existsSync(path.join(sampleDir, 'labelled', 'reviews.csv')) &&
            fs.existsSync(path.join(sampleDir, 'parallel', 'en-fr.tsv')),
          fs.readdirSync(sampleDir).join(', '),
        );
        await note.locator('.monaco-button', { hasText: 'Train on Sample Text' }).first().click();
        const finished = page
          .locator('.notifications-toasts .notification-toast', { hasText: /finished at step 300/ })
          .first();
        await finished.waitFor({ timeout: 180_000 });
        const runs = fs.readdirSync(path.join(ws, '.seqlab/runs'));
        const sampleRun = runs
          .map((id) => path.join(ws, '.seqlab/runs', id, 'config.json'))
          .filter((f) => fs.existsSync(f))
          .map((f) => JSON.parse(fs.readFileSync(f, 'utf8')))
          .find((c) => c.folder === path.join(sampleDir, 'text'));
        check(
          '"Train on Sample Text" trains the tiny preset on the unpacked text',
          !!sampleRun,
          (await finished.innerText()).replace(/\s+/g, ' '),
        );
        await shot('w1b-sample-trained');
        // Unpack again into the same folder after editing a file: it asks, and Skip keeps the edit.
        const mine = path.join(sampleDir, 'text', 'keeper-log.txt');
        fs.writeFileSync(mine, 'my own log\n');
        await runCommand('SeqLab: Unpack Sample Corpus');
        await chooseFolder(sampleDir);
        const dialog = page.locator('.monaco-dialog-box', { hasText: /already exist/ }).first();
        let asked = false;
        try {
          await dialog.waitFor({ timeout: 15_000 });
          asked = true;
          await shot('w1c-sample-conflict-dialog');
          await dialog.locator('.monaco-button', { hasText: 'Skip Them' }).first().click();
        } catch {
          // reported below
        }
        await dialog.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => {});
        check(
          'unpacking where the names are taken asks, and "Skip" overwrites nothing',
          asked && fs.readFileSync(mine, 'utf8') === 'my own log\n',
        );
      } else if (step.id === 'dashboard') {
        // Let the dashboard load (it takes the focus when it does) before going back.
        await page
          .locator('.tabs-container .tab.active', { hasText: 'SeqLab Dashboard' })
          .first()
          .waitFor({ timeout: 30_000 });
        await page.locator('iframe.webview.ready').last().waitFor({ state: 'attached', timeout: 30_000 });
      } else {
        // The commands ask (folder, checkpoint, preset…): the step is done once the command ran.
        await input.waitFor({ state: 'visible', timeout: 10_000 }).catch(() => {});
        await page.keyboard.press('Escape');
      }
    }
    await openWalkthrough();
    await stepButton(step.id).waitFor({ timeout: 10_000 });
    const ok = !!(await until(`step "${step.id}" to be ticked`, () => isDone(step.id), {
      timeout: 5000,
      soft: true,
    }));
    check(`walkthrough step "${step.id}" is marked done by its completion event`, ok);
  }
  await shot('w8-walkthrough-all-done');

  // Keybindings: Ctrl+K Ctrl+Alt+D opens the dashboard; Ctrl+K Ctrl+Alt+C toggles completion.
  await page.keyboard.press('Escape');
  await page
    .locator('.monaco-workbench')
    .click({ position: { x: 5, y: 200 } })
    .catch(() => {});
  await runCommand('View: Close All Editors');
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+Alt+D');
  const dashTab = page.locator('.tabs-container .tab', { hasText: /SeqLab/ }).first();
  check(
    'Ctrl+K Ctrl+Alt+D opens the dashboard',
    await dashTab
      .waitFor({ timeout: 15_000 })
      .then(() => true)
      .catch(() => false),
  );
  const completionItem = page.locator('.statusbar-item', {
    has: page.locator('.codicon-sparkle, .codicon-circle-slash'),
  });
  const state = async () =>
    (await page.locator('.statusbar-item .codicon-circle-slash').count()) > 0 ? 'off' : 'on';
  // The dashboard just took the focus: give it back to the workbench first.
  await page
    .locator('.part.sidebar .composite.title')
    .first()
    .click()
    .catch(() => {});
  const before = await state();
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+Alt+C');
  const after =
    (await until('the completion toggle', async () => ((await state()) !== before ? state() : undefined), {
      timeout: 5000,
      soft: true,
    })) ?? before;
  check(
    'Ctrl+K Ctrl+Alt+C toggles completion',
    after !== before && (await completionItem.count()) > 0,
    `${before} → ${after}`,
  );
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+Alt+C');
  log('walkthrough tour done');
}
