// Runs the mocha suite in out/test/suite inside code-server's real extension host, driven by
// headless Debian chromium (the workbench page is the vscode API's main thread).
// The extension under test is this repository (extensionDevelopmentPath); exit code = result.
import fs from 'fs';
import os from 'os';
import path from 'path';
import util from 'util';
import { launchBrowser, ROOT, seedSettings, startCodeServer } from './code-server.mjs';

const PORT = Number(process.env.ITEST_PORT ?? 8391);
const TIMEOUT_S = Number(process.env.ITEST_TIMEOUT ?? 600);
const state = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-itest-'));
const ws = path.join(state, 'workspace');
fs.cpSync(path.join(ROOT, 'test/fixtures/corpus'), path.join(ws, 'corpus'), { recursive: true });
seedSettings(state);
const t0 = Date.now();
const server = await startCodeServer(state, PORT, ['--vscode-option', 'enable-smoke-test-driver']);
const payload = [
  ['extensionDevelopmentPath', `vscode-remote://remote${ROOT}`],
  ['extensionTestsPath', `vscode-remote://remote${path.join(ROOT, 'out/test/suite/index.js')}`],
];
const url = `${server.url}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
const { context, close } = await launchBrowser();
let finish;
const exited = new Promise((r) => (finish = r));
await context.exposeFunction('codeAutomationExit', (code) => finish(code));
const page = context.pages()[0] ?? (await context.newPage());
page.on('console', async (m) => {
  let vals;
  try {
    vals = await Promise.all(m.args().map((a) => a.jsonValue()));
  } catch {
    vals = [m.text()];
  }
  if (process.env.ITEST_RAW) console.log(JSON.stringify(vals));
  // Extension-host lines arrive as ['%c INFO', 'color: …', format, ...args].
  const parts = vals.filter((v) => !(typeof v === 'string' && /^(color|font-weight|background)[:-]/.test(v)));
  if (typeof parts[0] === 'string' && /^%c\s*(\[Extension Host\]|INFO|ERR|WARN)\s*$/.test(parts[0]))
    parts.shift();
  const t = typeof parts[0] === 'string' ? util.format(...parts) : parts.map(String).join(' ');
  if (
    process.env.ITEST_VERBOSE ||
    /\[itest\]|passing|failing|pending|✔|✓|^\s+\d+\) |AssertionError|Error:/.test(t)
  )
    console.log(t);
});
await page.goto(url);
const code = await Promise.race([
  exited,
  new Promise((r) => setTimeout(() => r('timeout'), TIMEOUT_S * 1000)),
]);
console.log(`integration tests: exit code ${code} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
if (code !== 0) console.log(`code-server log: ${server.logFile}`);
await close();
server.stop();
process.exit(code === 0 ? 0 : 1);
