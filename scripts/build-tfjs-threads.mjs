// Builds dist/tfjs-backend-wasm-mt.js: the pinned @tensorflow/tfjs-backend-wasm's Node bundle,
// patched so that its multi-threaded wasm build runs under Node, registered as a second backend
// named `wasm-mt` beside the stock `wasm` (src/engine/wasm/threadedBackend.ts picks it, and falls back to
// `wasm` when it cannot start). Stock, the Node build never uses threads: its thread check says
// no for Node, and its pthread workers are started from `blob:` URLs, which Node's Worker refuses.
// Every patch must match exactly as often as expected, or the build
// fails here rather than at run time: a tfjs upgrade has to revisit this file.
//
// The result is a function of (tfjs-core, files) so that it registers on the engine's own TF.js
// (bundled into dist/*.js, or node_modules' in tests), and gets its two helper scripts written
// to files by the caller.
import { readFileSync, writeFileSync, mkdirSync } from 'fs';
import { createRequire } from 'module';
import { dirname, join } from 'path';

const require = createRequire(import.meta.url);
const pkgDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
const PINNED = '4.22.0';

const PATCHES = [
  // The engine's TF.js, passed in (a second copy of tfjs-core would be a second engine).
  ["var tfjsCore = require('@tensorflow/tfjs-core');", 'var tfjsCore = injectedTfjsCore;', 1],
  // Threads: this backend is only loaded where Node workers and SharedArrayBuffer exist.
  ["tfjsCore.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')", 'Promise.resolve(true)', 1],
  // pthread workers from a file instead of a blob: URL.
  [
    `                                if (path.endsWith('.worker.js')) {
                                    // Escape '\\n' because Blob will turn it into a newline.
                                    // There should be a setting for this, but 'endings: "native"' does
                                    // not seem to work.
                                    var response = wasmWorkerContents.replace(/\\n/g, '\\\\n');
                                    var blob = new Blob([response], { type: 'application/javascript' });
                                    return URL.createObjectURL(blob);
                                }`,
    `                                if (path.endsWith('.worker.js')) {
                                    return files.write('worker', wasmWorkerContents.replace(/\\n/g, '\\\\n'));
                                }`,
    1,
  ],
  // The script each pthread worker loads: a file too.
  [
    `factoryConfig.mainScriptUrlOrBlob = new Blob(["var WasmBackendModuleThreadedSimd = " +
                                        wasmFactoryThreadedSimd.toString()], { type: 'text/javascript' });`,
    // The factory's source refers to the bundle's module variables: define them in its file.
    `factoryConfig.mainScriptUrlOrBlob = files.write('main', "var require$$0 = require('fs'), require$$1 = require('path'), " +
                                        "require$$3 = require('perf_hooks'), require$$4 = require('os'), commonjsGlobal = globalThis, " +
                                        "__dirname = require('os').tmpdir();\\n" +
                                        "var WasmBackendModuleThreadedSimd = " + wasmFactoryThreadedSimd.toString());`,
    1,
  ],
  // XNNPACK's pool threads run for the life of the backend: emscripten refs a running pthread's
  // worker, so a process (the CLI, a test, the training worker) would never exit on its own.
  ['worker.ref();', '/* not ref()ed: see build-tfjs-threads.mjs */', 1],
  // Emscripten starts 8 pthread workers up front; XNNPACK's pool of 2 threads needs one.
  ['var pthreadPoolSize = 8;', 'var pthreadPoolSize = 2;', 1],
  // The backend caps its threads at half the logical cores (it counts hyperthreads as cores):
  // on a 2-core machine that is 1. The engine asks for as many threads as it wants explicitly.
  [
    'function _emscripten_num_logical_cores() { if (ENVIRONMENT_IS_NODE)\n                return require$$4.cpus().length;',
    'function _emscripten_num_logical_cores() { if (ENVIRONMENT_IS_NODE)\n                return 2 * require$$4.cpus().length;',
    1,
  ],
  // A pthread worker that fails to start rejects the backend's start-up (the engine then falls
  // back to one thread) instead of throwing from an event handler, which would kill the process.
  [
    'err(message + " " + e.filename + ":" + e.lineno + ": " + e.message); throw e; };',
    'err(message + " " + e.filename + ":" + e.lineno + ": " + e.message); if (Module["onAbort"]) Module["onAbort"](e); };',
    1,
  ],
  // Its own name, so that it can live beside the stock backend.
  ["backendName: 'wasm'", "backendName: 'wasm-mt'", 101],
  ["tfjsCore.registerBackend('wasm',", "tfjsCore.registerBackend('wasm-mt',", 1],
];

export function buildThreadedBackend(outDir = 'dist') {
  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  if (version !== PINNED)
    throw new Error(
      `@tensorflow/tfjs-backend-wasm is ${version}, the threads patch is for ${PINNED}: revisit scripts/build-tfjs-threads.mjs`,
    );
  let src = readFileSync(join(pkgDir, 'dist/tf-backend-wasm.node.js'), 'utf8');
  for (const [from, to, count] of PATCHES) {
    const found = src.split(from).length - 1;
    if (found !== count)
      throw new Error(
        `threads patch: expected ${count} × ${JSON.stringify(from.slice(0, 60))}, found ${found}`,
      );
    src = src.split(from).join(to);
  }
  const out =
    `// Generated by scripts/build-tfjs-threads.mjs from @tensorflow/tfjs-backend-wasm@${version} (Apache-2.0): do not edit.\n` +
    `module.exports = function (injectedTfjsCore, files) {\nvar exports = {};\n${src}\nreturn exports;\n};\n`;
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'tfjs-backend-wasm-mt.js'), out);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  buildThreadedBackend(process.argv[2] ?? 'dist');
  console.log(`wrote ${process.argv[2] ?? 'dist'}/tfjs-backend-wasm-mt.js`);
}
