import * as fs from 'fs';

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
