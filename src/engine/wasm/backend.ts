import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { calibrate, CalibrationShape } from '../gpu/calibrate';
import { startWebgpu } from '../gpu/webgpuBackend';
import { THREADED_BACKEND, type BackendChoice, type BackendName } from './backendNames';
import { wasmDirOverride, wasmThreadsOverride } from './switches';
import { startThreaded, threadedThreadCount } from './threadedBackend';
import { installWasmKernelFixes } from './tfjsKernels';

export { isWasmBackend, type BackendChoice, type BackendName } from './backendNames';

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
  /** The GPU adapter's name, on webgpu. */
  adapter?: string;
  /** Why this backend was chosen (auto), or why webgpu was not used; logged at the start of a run. */
  reason?: string;
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
 * Starts TF.js on the backend asked for. webgpu without a usable adapter falls back to wasm, and
 * wasm that fails to initialise falls back to cpu (40–50× slower but correct), each saying why,
 * rather than failing the run. `auto` takes webgpu only on a real (not software) GPU that a short
 * calibration at `shape` finds faster than wasm.
 */
export async function initBackend(
  wanted: BackendChoice = 'wasm',
  log?: (line: string) => void,
  shape?: CalibrationShape,
): Promise<BackendInfo> {
  if (wanted === 'webgpu' || wanted === 'auto') return initGpuChoice(wanted, log, shape);
  return initCpuBackend(wanted, log);
}

async function initGpuChoice(
  wanted: 'webgpu' | 'auto',
  log: ((line: string) => void) | undefined,
  shape: CalibrationShape | undefined,
): Promise<BackendInfo> {
  const gpu = await startWebgpu();
  if (!gpu.ok) {
    const reason = `webgpu unavailable: ${gpu.reason}; using wasm`;
    log?.(reason);
    return { ...(await initCpuBackend('wasm', log)), reason };
  }
  const adapter = gpu.adapter.name;
  if (wanted === 'webgpu') {
    current = { name: 'webgpu', threads: 1, adapter, reason: `webgpu on ${adapter} (asked for)` };
    return current;
  }
  if (gpu.adapter.software) {
    const reason = `auto: the GPU adapter (${adapter}) is a software renderer; using wasm`;
    return { ...(await initCpuBackend('wasm', log)), reason };
  }
  const timing = await calibrate(shape ?? { batch: 32, hidden: 256, input: 256 }, () =>
    initCpuBackend('wasm', log),
  );
  const faster = timing.webgpuMs < timing.wasmMs;
  const figures = `a step's products take ${timing.webgpuMs.toFixed(2)} ms on webgpu, ${timing.wasmMs.toFixed(2)} ms on wasm`;
  if (!faster) {
    const reason = `auto: ${figures}; using wasm`;
    return { ...(await initCpuBackend('wasm', log)), reason };
  }
  await startWebgpu();
  current = { name: 'webgpu', threads: 1, adapter, reason: `auto: ${figures}; using webgpu on ${adapter}` };
  return current;
}

async function initCpuBackend(wanted: 'wasm' | 'cpu', log?: (line: string) => void): Promise<BackendInfo> {
  const started = startedCpu.get(wanted);
  if (started) {
    // Started before (a calibration, or an earlier run in this thread): switch back to it.
    await tf.setBackend(started.tfName);
    current = started.info;
    return current;
  }
  current = await startCpuBackend(wanted, log);
  // A fall-back is remembered under its own name only, so the next run tries wasm again.
  startedCpu.set(current.name, { info: current, tfName: tf.getBackend() });
  return current;
}

const startedCpu = new Map<BackendName, { info: BackendInfo; tfName: string }>();

async function startCpuBackend(wanted: 'wasm' | 'cpu', log?: (line: string) => void): Promise<BackendInfo> {
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
          return { name: 'wasm', threads: threadedThreadCount() };
        }
        log?.(`wasm threads unavailable (${threadsReason}); the wasm backend runs on one thread`);
      } else threadsReason = 'SEQLAB_WASM_THREADS=1 or a single core';
      const ok = await tf.setBackend('wasm');
      if (!ok) throw new Error('tf.setBackend("wasm") returned false');
      await tf.ready();
      installWasmKernelFixes('wasm');
      return { name: 'wasm', threads: 1, threadsReason };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      log?.(`wasm backend failed to initialise (${reason}); falling back to the slower cpu backend`);
      await tf.setBackend('cpu');
      await tf.ready();
      return { name: 'cpu', fallbackReason: reason, threads: 1 };
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { name: 'cpu', threads: 1 };
}

export { tf };
