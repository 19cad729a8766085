import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

/**
 * Entry point VS Code's extension host calls (extensionTestsPath). Runs every *.test.js here
 * and ends with a line "integration: N passed, N failed" for the CI log.
 */
export function run(): Promise<void> {
  // ITEST_FILES=classify,forecast runs only those suites (a helper's quick check; CI runs all).
  const only = process.env.ITEST_FILES?.split(',');
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 90_000, reporter: 'spec' });
  // ITEST_GREP='inline completion' runs only the tests whose title matches (default: all).
  if (process.env.ITEST_GREP) mocha.grep(process.env.ITEST_GREP);
  for (const f of fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js') && (!only || only.includes(f.replace(/\.test\.js$/, ''))))
    .sort())
    mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    let passed = 0;
    const runner = mocha.run((failures) => {
      console.log(`[itest] integration: ${passed} passed, ${failures} failed`);
      if (failures) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
    runner.on('pass', () => passed++);
  });
}
