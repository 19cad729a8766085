import { execFileSync } from 'child_process';
import * as path from 'path';
import { softwareGpuEnv } from '../test/helpers/gpu';

export interface WebgpuBench {
  adapter: string | null;
  software: boolean;
  tokens_per_s?: number;
  wasm_tokens_per_s?: number;
  config?: { hidden: number; layers: number; batch: number; seqLen: number; steps: number };
  reason?: string;
}

function child(backend: string, shape: number[], env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out = execFileSync(
    process.execPath,
    [path.join(__dirname, 'webgpuChild.js'), backend, ...shape.map(String)],
    {
      env,
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}

/**
 * webgpu tokens/s wherever an adapter exists: a real GPU runs the reference model; without one,
 * SwiftShader (a software Vulkan driver on the CPU) runs a small model, a correctness stand-in whose
 * speed says nothing about GPUs. wasm runs the same shape in the same way, for the ratio.
 */
export function benchWebgpu(log: (line: string) => void): WebgpuBench {
  let env: NodeJS.ProcessEnv = process.env;
  let gpu = child('webgpu', [64, 1, 8, 32, 3], env);
  let software = false;
  if (!gpu.adapter) {
    const sw = softwareGpuEnv();
    if (!sw) return { adapter: null, software: false, reason: String(gpu.reason) };
    env = { ...process.env, ...sw };
    software = true;
  }
  // The reference model on a real GPU; a small one on a software adapter.
  const shape = software ? [64, 1, 8, 32, 3] : [256, 2, 32, 64, 8];
  gpu = child('webgpu', shape, env);
  const wasm = child('wasm', shape, env);
  const r: WebgpuBench = {
    adapter: String(gpu.adapter),
    software,
    tokens_per_s: Math.round(Number(gpu.tokens_per_s)),
    wasm_tokens_per_s: Math.round(Number(wasm.tokens_per_s)),
    config: gpu.config as WebgpuBench['config'],
  };
  log(
    `webgpu on ${r.adapter}${software ? ' (software: a correctness stand-in, not a GPU speed)' : ''}: ${r.tokens_per_s} tokens/s against wasm ${r.wasm_tokens_per_s} (${(r.tokens_per_s! / r.wasm_tokens_per_s!).toFixed(2)}×), ${shape[1]}×LSTM ${shape[0]}, batch ${shape[2]}, T ${shape[3]}`,
  );
  return r;
}
