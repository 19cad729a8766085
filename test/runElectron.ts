/**
 * `npm run test:electron`: the same mocha suite (out/test/suite) in desktop VS Code through
 * @vscode/test-electron, for contributors whose machines can download VS Code (it caches it in
 * .vscode-test/). Offline machines and CI use the code-server host instead (npm test).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../..');
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-electron-'));
  fs.cpSync(path.join(root, 'test/fixtures/corpus'), path.join(ws, 'corpus'), { recursive: true });
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'out/test/suite/index.js'),
    launchArgs: [ws, '--disable-extensions', '--disable-workspace-trust'],
  });
}

main().catch((err) => {
  console.error(`test:electron failed: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
