// `npm test` after lint and build: unit tests (Node's runner), crash injection (quick), then the offline VS Code test host
// (set up once into .test-host/), integration tests in its real extension host, packaging, and
// the browser end-to-end test of the packaged .vsix. Ends with one summary line.
import { spawnSync } from 'child_process';
import path from 'path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const results = [];

function step(name, cmd, args, parse) {
  const t0 = Date.now();
  console.log(`\n=== ${name}`);
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  });
  const out = (r.stdout ?? '') + (r.stderr ?? '');
  process.stdout.write(out);
  const counts = parse ? parse(out) : null;
  results.push({
    name,
    ok: r.status === 0,
    counts,
    seconds: (Date.now() - t0) / 1000,
    failures: failureLines(out),
  });
  if (r.status !== 0) {
    console.log(`=== ${name} FAILED (exit ${r.status})`);
    summary();
  }
}

const nodeTest = (out) => ({
  passed: Number(/^# pass (\d+)/m.exec(out)?.[1] ?? 0),
  failed: Number(/^# fail (\d+)/m.exec(out)?.[1] ?? 0),
});
const plain = (label) => (out) => {
  const m = new RegExp(`${label}: (\\d+) passed, (\\d+) failed`).exec(out);
  return m ? { passed: Number(m[1]), failed: Number(m[2]) } : { passed: 0, failed: 1 };
};

/**
 * The lines that name a failed check (Node's runner, the e2e and integration logs, the crash
 * suite), so that the summary, which is all a CI log's tail may show, says which ones failed.
 */
function failureLines(out) {
  // Mocha names each failing test twice (in the run, then with its error): once is enough.
  const lines = out
    .split('\n')
    .filter((l) => /^(not ok \d+ - |✘ |\s*\d+\) |FAIL )/.test(l))
    .map((l) => l.trim().slice(0, 300));
  return [...new Set(lines)];
}

function summary() {
  let passed = 0;
  let failed = 0;
  console.log('\n=== summary');
  for (const r of results) {
    if (r.counts) {
      passed += r.counts.passed;
      failed += r.counts.failed;
    }
    if (!r.ok && !(r.counts?.failed > 0)) failed++;
    console.log(
      `${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.counts ? ` (${r.counts.passed} passed, ${r.counts.failed} failed)` : ''} ${r.seconds.toFixed(0)} s`,
    );
  }
  const failures = results.flatMap((r) => r.failures.map((l) => `  ${r.name.split(' (')[0]}: ${l}`));
  if (failures.length) {
    console.log('failed checks:');
    for (const l of failures.slice(0, 40)) console.log(l);
    if (failures.length > 40) console.log(`  … and ${failures.length - 40} more above`);
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed || results.some((r) => !r.ok) ? 1 : 0);
}

step('compile (tsc, strict; extension and webview)', 'npm', ['run', '-s', 'compile']);
step('unit tests', process.execPath, ['--test', '--test-concurrency=1', 'out/test/unit/'], nodeTest);
// Kills training at the first checkpoint and status writes and checks that resuming loses nothing
// (--quick: about 1.5 min; `npm run test:crash` runs the full set). Linux with strace only.
if (process.platform === 'linux')
  step(
    'crash injection (strace)',
    process.execPath,
    ['scripts/crash-suite.mjs', '--quick'],
    plain('crash-suite'),
  );
step('test host (Node 24, code-server, chromium; cached in .test-host/)', 'bash', [
  'scripts/setup-test-host.sh',
]);
step(
  'integration tests (real VS Code extension host)',
  process.execPath,
  ['scripts/run-integration.mjs'],
  plain('integration'),
);
step('package .vsix', process.execPath, ['scripts/package.mjs']);
step('package .vsix for linux-x64 (with WebGPU)', process.execPath, [
  'scripts/package.mjs',
  '--target',
  'linux-x64',
]);
step('end-to-end (browser, packaged .vsix)', process.execPath, ['test/e2e/e2e.mjs'], plain('e2e'));
summary();
