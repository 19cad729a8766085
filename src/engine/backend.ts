import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { installWasmKernelFixes } from './kernels';

export type BackendName = 'wasm' | 'cpu';

const WASM_FILE = 'tfjs-backend-wasm.wasm';

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
      const ok = await tf.setBackend('wasm');
      if (!ok) throw new Error('tf.setBackend("wasm") returned false');
      await tf.ready();
      installWasmKernelFixes();
      current = { name: 'wasm' };
      return current;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      log?.(`wasm backend failed to initialise (${reason}); falling back to the slower cpu backend`);
      await tf.setBackend('cpu');
      await tf.ready();
      current = { name: 'cpu', fallbackReason: reason };
      return current;
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  current = { name: 'cpu' };
  return current;
}

export { tf };
