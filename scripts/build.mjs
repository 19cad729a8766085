// Bundles the extension, the CLI and (later) the worker and webview with esbuild, and copies the
// TF.js wasm binaries next to the bundles, where src/engine/backend.ts looks for them.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'fs';
import { dirname, join } from 'path';
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
mkdirSync('dist', { recursive: true });

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: !production, minify: production, logLevel: 'warning' };
const entries = [
  { entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js' },
];
await Promise.all(entries.map((e) => build({ ...common, ...e })));

const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), join('dist', f));
console.log('built dist/');
