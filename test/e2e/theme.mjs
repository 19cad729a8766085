/** The classes VS Code puts on the workbench and on each webview's body once a theme applies. */
const KINDS = {
  'Light Modern': ['vs', 'vscode-light'],
  'Dark Modern': ['vs-dark', 'vscode-dark'],
  'High Contrast': ['hc-black', 'vscode-high-contrast'],
};

/** Preferences: Color Theme → `theme`, then waits for the workbench and the webview `wv` to wear it. */
export async function setTheme(page, wv, theme) {
  const [workbench, webview] = KINDS[theme];
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget input.input').fill('>Preferences: Color Theme');
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: 'Preferences: Color Theme' })
    .first()
    .click();
  await page.locator('.quick-input-widget input.input').fill(theme);
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: theme })
    .first()
    .waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  await page.locator(`.monaco-workbench.${workbench}`).waitFor({ timeout: 15_000 });
  await wv.locator(`body.${webview}`).waitFor({ timeout: 15_000 });
}
