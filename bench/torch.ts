import { execFileSync, spawnSync } from 'child_process';
import * as path from 'path';

/** Debian's python (with python3-torch); pyenv shims elsewhere on PATH lack torch. */
export const PYTHON = process.env.SEQLAB_PYTHON ?? '/usr/bin/python3';
const SCRIPT = 'torch_lm.py';
const ENV = { ...process.env, OMP_NUM_THREADS: '2', OMP_WAIT_POLICY: 'PASSIVE' };

/**
 * Runs one of bench/'s PyTorch scripts (`name`, e.g. 'torch_classify.py') on two threads, as
 * SeqLab's side gets, and returns the JSON object its last output line holds.
 */
export function runTorchScript<T>(name: string, args: string[]): T {
  const script = path.resolve(__dirname, '../../bench', name);
  const out = execFileSync(PYTHON, [script, ...args], { env: ENV, encoding: 'utf8', maxBuffer: 1 << 26 });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

/** Why PyTorch cannot run here, or undefined when it can. */
export function torchUnavailable(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} not found`;
  if (r.status !== 0) return `${PYTHON} cannot import torch (install python3-torch and libopenblas0-pthread)`;
  return undefined;
}

export interface TorchResult {
  cell: string;
  tokens_per_s?: number;
  val_loss?: number;
  val_bpc?: number;
  seconds?: number;
  blas: string;
  torch: string;
}

export function runTorch(args: string[]): TorchResult {
  return runTorchScript<TorchResult>(SCRIPT, args);
}
