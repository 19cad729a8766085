import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { SeqLabError } from '../../src/engine/errors';
import type { TrainEvent } from '../../src/engine/events';
import { gpuSession } from '../../src/engine/gpu/webgpuBackend';
import { readStatus } from '../../src/engine/runFolder';

/**
 * The environment that gives Dawn a software Vulkan adapter on a machine without a GPU: Debian's
 * chromium ships SwiftShader's ICD; the Vulkan loader comes from libvulkan1. Undefined when either
 * is missing.
 */
export function softwareGpuEnv(): Record<string, string> | undefined {
  const icd = ['/usr/lib/chromium/vk_swiftshader_icd.json'].find((f) => fs.existsSync(f));
  const loader = [
    '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
    '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
  ].find((f) => fs.existsSync(f));
  if (!icd || !loader) return undefined;
  return { VK_ICD_FILENAMES: icd, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' };
}

/**
 * Points this process at SwiftShader and returns false, or returns why webgpu tests are skipped.
 * CI installs the driver (scripts/setup-test-host.sh): there, a missing one is a failure.
 */
export function useSoftwareGpu(suite: string): false | string {
  const env = softwareGpuEnv();
  if (env) {
    Object.assign(process.env, env);
    return false;
  }
  const why = 'no SwiftShader Vulkan driver (Debian chromium) and libvulkan1 on this machine';
  if (process.env.CI) throw new Error(`${suite}: ${why}`);
  return why;
}

/**
 * Trains with `start` while destroying the GPU device once the step-2 checkpoint is written, and
 * checks the run ends as a lost GPU should: E_GPU_LOST naming the step and the kept checkpoint,
 * the run marked failed, that checkpoint on disk.
 */
export async function expectRunSurvivesGpuLoss(
  start: (onEvent: (e: TrainEvent) => void) => Promise<unknown>,
): Promise<void> {
  let runDir = '';
  const err = await start((e) => {
    if (e.type === 'start') runDir = e.runDir;
    if (e.type === 'checkpoint' && e.step === 2) gpuSession()!.device.destroy();
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof SeqLabError, `expected a SeqLabError, got ${String(err)}`);
  assert.equal(err.code, 'E_GPU_LOST');
  assert.match(err.describe(), /GPU was lost at step [23].*step-0+2\) is kept.*Resume/);
  assert.equal(readStatus(runDir)?.status, 'failed');
  assert.ok(fs.existsSync(path.join(runDir, 'checkpoints', 'step-00000002', 'manifest.json')));
}
