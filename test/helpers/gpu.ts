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
