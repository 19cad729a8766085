import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { THREADED_BACKEND, type BackendName } from './backendNames';
import { wasmDirOverride, wasmThreadsOverride } from './switches';
import { startThreaded, threadedThreadCount } from './threadedBackend';
import { installWasmKernelFixes } from './tfjsKernels';

export { isWasmBackend, type BackendName } from './backendNames';

const WASM_FILE = 'tfjs-backend-wasm.wasm';

/**
 * Where the .wasm binaries are: next to the bundle (dist/, and inside the packaged .vsix) or in
 * node_modules when running from compiled sources in tests.
 */
export function findWasmDir(): string | undefined {
  // SEQLAB_WASM_DIR pins the location (and lets tests exercise the cpu fallback).
  const pinned = wasmDirOverride();
  if (pinned !== undefined) return fs.existsSync(path.join(pinned, WASM_FILE)) ? pinned : undefined;
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
  return wasmThreadsOverride() ?? Math.max(1, Math.min(8, os.cpus().length));
}

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
          installWasmKernelFixes(THREADED_BACKEND);
          current = { name: 'wasm', threads: threadedThreadCount() };
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
