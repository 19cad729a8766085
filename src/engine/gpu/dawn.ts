/// <reference types="@webgpu/types" />
import * as fs from 'fs';
import * as path from 'path';

/**
 * WebGPU in Node through Dawn's Node binding (`dawn.node`, from the `webgpu` package). The binding
 * is loaded directly rather than through the package's ES-module entry, so the CommonJS engine,
 * its workers and the bundle load it the same way, and a platform-specific .vsix can carry just
 * its own `dawn.node`.
 */

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

/** Where a platform's binary sits: `dist/dawn/<platform>-<arch>/` in a .vsix, the package in a checkout. */
export function dawnBinaryDirs(): string[] {
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  const plat = `${process.platform}-${arch}`;
  const dirs = [path.join(__dirname, 'dawn', plat), path.join(__dirname, '..', 'dawn', plat)];
  try {
    dirs.push(path.join(path.dirname(require.resolve('webgpu/package.json')), 'dist', plat));
  } catch {
    // Bundled without node_modules: only the dist/ candidates apply.
  }
  return dirs;
}

/** SEQLAB_DAWN_NODE: a `dawn.node` to use instead (tests point it away to get the fall-back). */
function dawnOverride(): string | undefined {
  return process.env.SEQLAB_DAWN_NODE;
}

export function findDawnBinary(): string | undefined {
  const pinned = dawnOverride();
  if (pinned !== undefined) return fs.existsSync(pinned) ? pinned : undefined;
  return dawnBinaryDirs()
    .map((d) => path.join(d, 'dawn.node'))
    .find((f) => fs.existsSync(f));
}

/** What the adapter says about itself, and whether it is a software rasteriser (no real GPU). */
export interface AdapterReport {
  name: string;
  software: boolean;
}

export interface GpuOpened {
  adapter: GPUAdapter;
  report: AdapterReport;
}

let dawn: DawnModule | undefined;
let gpu: GPU | undefined;

// Software adapters: SwiftShader (Chromium's Vulkan), llvmpipe/lavapipe (Mesa), WARP (Windows).
const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|warp|microsoft basic render/i;

export function describeAdapter(info: Partial<GPUAdapterInfo> | undefined): AdapterReport {
  const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter(
    (s): s is string => typeof s === 'string' && s.length > 0,
  );
  const name = [...new Set(parts)].join(' ') || 'unnamed adapter';
  // Dawn marks CPU adapters with the "cpu" adapter type where it knows it.
  const type = (info as { type?: string } | undefined)?.type;
  return { name, software: SOFTWARE.test(name) || type === 'cpu' };
}

/**
 * Loads Dawn and asks for a high-performance adapter. Returns the adapter, or a reason in plain
 * words when there is none (no binary for this platform, no Vulkan/Metal/D3D12 driver, …).
 */
export async function openGpu(): Promise<GpuOpened | { reason: string }> {
  try {
    if (!gpu) {
      const file = findDawnBinary();
      if (!file) return { reason: `no WebGPU binary (dawn.node) for ${process.platform}-${process.arch}` };
      // A native module: require() is the only loader; esbuild leaves it external.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      dawn = require(file) as DawnModule;
      for (const [k, v] of Object.entries(dawn.globals))
        if (!(k in globalThis)) Object.defineProperty(globalThis, k, { value: v, configurable: true });
      gpu = dawn.create([]);
    }
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { reason: 'no WebGPU adapter (no GPU driver Dawn can use on this machine)' };
    return { adapter, report: describeAdapter((adapter as { info?: GPUAdapterInfo }).info) };
  } catch (err) {
    return { reason: `WebGPU failed to start (${err instanceof Error ? err.message : String(err)})` };
  }
}

/** The GPU object TF.js's webgpu backend reads from `navigator.gpu`. */
export function installNavigatorGpu(): void {
  if (!gpu) throw new Error('openGpu() first');
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
}
