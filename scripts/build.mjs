// Bundles the extension, the CLI and (later) the worker and webview with esbuild, and copies the
// TF.js wasm binaries next to the bundles, where src/engine/wasm/backend.ts looks for them.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'fs';
import { dirname, join } from 'path';
import { createRequire } from 'module';
import { buildThreadedBackend } from './build-tfjs-threads.mjs';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
rmSync('dist', { recursive: true, force: true });
mkdirSync('dist', { recursive: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};
const entries = [
  { entryPoints: ['src/cli/index.ts'], outfile: 'dist/cli.js' },
  // The extension must not pull in TF.js: activation stays fast, the engine loads in the worker.
  { entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], metafile: true },
  { entryPoints: ['src/training/worker.ts'], outfile: 'dist/worker.js' },
  // Completion runs without TF.js: the checkpoint's weights and a small SIMD kernel are enough.
  { entryPoints: ['src/completion/worker.ts'], outfile: 'dist/completionWorker.js', metafile: true },
  // The dashboard's own bundle, for the browser sandbox of the webview (CSS goes to webview.css).
  {
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
  // Model inspection: its worker (the trace on the completion kernel, TF.js for gates and
  // saliency) and the Units view's own bundle (CSS to inspectView.css).
  { entryPoints: ['src/inspect/worker.ts'], outfile: 'dist/inspectWorker.js' },
  {
    entryPoints: ['webview/inspect/main.ts'],
    outfile: 'dist/inspectView.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
  // One run of a sweep, in its own process (forked by src/engine/sweep/launch.ts).
  { entryPoints: ['src/engine/sweep/child.ts'], outfile: 'dist/sweepChild.js' },
  // The completion n-gram's builder, a thread of the completion worker (src/completion/mixtureState.ts).
  { entryPoints: ['src/completion/ngramWorker.ts'], outfile: 'dist/ngramWorker.js' },
];
const results = await Promise.all(entries.map((e) => build({ ...common, ...e })));
for (const [i, file] of [
  [1, 'dist/extension.js'],
  [3, 'dist/completionWorker.js'],
]) {
  const leaked = Object.keys(results[i].metafile.inputs).filter((f) => f.includes('@tensorflow'));
  if (leaked.length)
    throw new Error(
      `${file} would bundle TF.js (${leaked[0]}…): keep the engine's TF.js modules out of its imports`,
    );
}

const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm')))
  copyFileSync(join(wasmDir, f), join('dist', f));
// The wasm backend's threaded build, patched for Node (loaded at run time by src/engine/wasm/backend.ts).
buildThreadedBackend('dist');
console.log('built dist/');
