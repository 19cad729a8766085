import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { installWasmKernelFixes } from './kernels';

export type BackendName = 'wasm' | 'cpu';

const WASM_FILE = 'tfjs-backend-wasm.wasm';
/** The threaded build of the wasm backend, made by scripts/build-tfjs-threads.mjs. */
const THREADED_FILE = 'tfjs-backend-wasm-mt.js';
const THREADED = 'wasm-mt';

/** Whether a TF.js backend name is one of the wasm backends (stock or threaded). */
export function isWasmBackend(name: string): boolean {
  return name === 'wasm' || name === THREADED;
}

/**
 * Where the .wasm binaries are: next to the bundle (dist/, and inside the packaged .vsix) or in
 * node_modules when running from compiled sources in tests.
 */
export function findWasmDir(): string | undefined {
  // SEQLAB_WASM_DIR pins the location (and lets tests exercise the cpu fallback).
  if (process.env.SEQLAB_WASM_DIR !== undefined) {
    const d = process.env.SEQLAB_WASM_DIR;
    return fs.existsSync(path.join(d, WASM_FILE)) ? d : undefined;
  }
  const candidates = [__dirname, path.join(__dirname, '..'), path.join(__dirname, '..', '..')];
  try {
    candidates.push(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist');
  } catch {
    // Bundled without node_modules: only the dist/ candidates apply.
  }
  return candidates.find((d) => fs.existsSync(path.join(d, WASM_FILE)));
}

export interface BackendInfo {
  name: BackendName;
  /** Set when the requested backend could not start and we fell back. */
  fallbackReason?: string;
  /** Threads the wasm backend's matrix products use (1 on cpu). */
  threads: number;
  /** Why the wasm backend runs on one thread where more cores exist. */
  threadsReason?: string;
}

/**
 * Threads for the wasm backend: SEQLAB_WASM_THREADS when set (1 turns threads off), else one per
 * core, at most 8.
 */
export function wantedThreads(): number {
  const env = Number(process.env.SEQLAB_WASM_THREADS);
  if (Number.isInteger(env) && env >= 1) return env;
  return Math.max(1, Math.min(8, os.cpus().length));
}

interface ThreadedModule {
  setWasmPaths(prefix: string): void;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

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
async function startThreaded(wasmDir: string, threads: number): Promise<string | undefined> {
  // Next to the bundle (dist/), or dist/ from the compiled sources in out/; SEQLAB_WASM_MT_FILE
  // pins it (tests use it to exercise the fall-back).
  const dirs = [
    __dirname,
    path.join(__dirname, '..'),
    path.join(__dirname, '..', '..'),
    path.join(__dirname, '../../../dist'),
  ];
  const file =
    process.env.SEQLAB_WASM_MT_FILE ??
    dirs.map((d) => path.join(d, THREADED_FILE)).find((f) => fs.existsSync(f));
  if (file && !fs.existsSync(file)) return `${file} not found`;
  if (!file) return `${THREADED_FILE} not found (it is made by npm run build)`;
  if (!tf.findBackendFactory(THREADED)) {
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
  const ok = await tf.setBackend(THREADED);
  if (!ok) return 'its start-up failed';
  await tf.ready();
  return undefined;
}

let threadedModule: ThreadedModule | undefined;

let current: BackendInfo | undefined;

/**
 * Starts TF.js on wasm (default) or cpu. If wasm fails to initialise we fall back to cpu and say
 * why, rather than failing the run: cpu is 40–50× slower but correct.
 */
export async function initBackend(
  wanted: BackendName = 'wasm',
  log?: (line: string) => void,
): Promise<BackendInfo> {
  if (current && current.name === wanted) return current;
  if (wanted === 'wasm') {
    try {
      const dir = findWasmDir();
      if (!dir) throw new Error(`${WASM_FILE} not found next to the engine or in node_modules`);
      setWasmPaths(dir.endsWith('/') ? dir : dir + '/');
      const threads = wantedThreads();
      let threadsReason: string | undefined;
      if (threads > 1) {
        try {
          threadsReason = await startThreaded(dir, threads);
        } catch (err) {
          threadsReason = err instanceof Error ? err.message : String(err);
        }
        if (!threadsReason) {
          installWasmKernelFixes(THREADED);
          current = { name: 'wasm', threads: threadedModule!.getThreadsCount() };
          return current;
        }
        log?.(`wasm threads unavailable (${threadsReason}); the wasm backend runs on one thread`);
      } else threadsReason = 'SEQLAB_WASM_THREADS=1 or a single core';
      const ok = await tf.setBackend('wasm');
      if (!ok) throw new Error('tf.setBackend("wasm") returned false');
      await tf.ready();
      installWasmKernelFixes('wasm');
      current = { name: 'wasm', threads: 1, threadsReason };
      return current;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      log?.(`wasm backend failed to initialise (${reason}); falling back to the slower cpu backend`);
      await tf.setBackend('cpu');
      await tf.ready();
      current = { name: 'cpu', fallbackReason: reason, threads: 1 };
      return current;
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  current = { name: 'cpu', threads: 1 };
  return current;
}

export { tf };
