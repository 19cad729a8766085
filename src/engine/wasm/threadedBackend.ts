import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { THREADED_BACKEND } from './backendNames';
import { threadedBackendFileOverride } from './switches';

/** The threaded build of the wasm backend, made by scripts/build-tfjs-threads.mjs. */
const THREADED_FILE = 'tfjs-backend-wasm-mt.js';

interface ThreadedModule {
  setWasmPaths(prefix: string): void;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

let threadedModule: ThreadedModule | undefined;

/** Writes a helper script of the threaded backend (its pthread workers load it by path). */
function writeHelperScript(name: string, content: string): string {
  const hash = createHash('sha1').update(content).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `seqlab-tfjs-${name}-${hash}.js`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  }
  return file;
}

/**
 * Starts the threaded wasm backend; returns why not when it cannot. Stock TF.js never uses
 * threads under Node; the patched build does (+30–50% on the large products here).
 */
export async function startThreaded(wasmDir: string, threads: number): Promise<string | undefined> {
  // Next to the bundle (dist/), or dist/ from the compiled sources in out/; SEQLAB_WASM_MT_FILE
  // pins it (tests use it to exercise the fall-back).
  const dirs = [
    __dirname,
    path.join(__dirname, '..'),
    path.join(__dirname, '..', '..'),
    path.join(__dirname, '../../../dist'),
    path.join(__dirname, '../../../../dist'),
  ];
  const file =
    threadedBackendFileOverride() ??
    dirs.map((d) => path.join(d, THREADED_FILE)).find((f) => fs.existsSync(f));
  if (file && !fs.existsSync(file)) return `${file} not found`;
  if (!file) return `${THREADED_FILE} not found (it is made by npm run build)`;
  if (!tf.findBackendFactory(THREADED_BACKEND)) {
    // A runtime require of a file next to the bundle, not bundled itself; handed the engine's TF.js.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const factory = require(file) as (
      core: typeof tf,
      files: { write: typeof writeHelperScript },
    ) => ThreadedModule;
    threadedModule = factory(tf, { write: writeHelperScript });
  }
  const mt = threadedModule!;
  mt.setWasmPaths(wasmDir.endsWith('/') ? wasmDir : wasmDir + '/');
  mt.setThreadsCount(threads);
  const ok = await tf.setBackend(THREADED_BACKEND);
  if (!ok) return 'its start-up failed';
  await tf.ready();
  return undefined;
}

/** Threads the started threaded backend runs (call after startThreaded succeeded). */
export function threadedThreadCount(): number {
  return threadedModule!.getThreadsCount();
}
