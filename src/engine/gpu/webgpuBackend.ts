/// <reference types="@webgpu/types" />
import * as tf from '@tensorflow/tfjs';
import { AdapterReport, installNavigatorGpu, openGpu } from './dawn';

/** The device TF.js's webgpu backend runs on, with how it was lost (if it was). */
export interface GpuSession {
  device: GPUDevice;
  adapter: AdapterReport;
  /** Set once the device is lost (driver reset, unplugged, destroyed). */
  lost?: string;
  /** Rejects with GpuLostError when the device is lost: reads race it, so none waits forever. */
  whenLost: Promise<never>;
}

let session: GpuSession | undefined;

export function gpuSession(): GpuSession | undefined {
  return session;
}

/**
 * Starts TF.js's webgpu backend on a device SeqLab owns (so that it can watch `device.lost` and
 * tests can destroy it), or says why it cannot.
 */
export async function startWebgpu(): Promise<
  { ok: true; adapter: AdapterReport } | { ok: false; reason: string }
> {
  if (session && !session.lost && tf.getBackend() === 'webgpu') return { ok: true, adapter: session.adapter };
  const opened = await openGpu();
  if ('reason' in opened) return { ok: false, reason: opened.reason };
  try {
    installNavigatorGpu();
    // The package registers its own factory on import; replace it with one on our device.
    // Loaded only when asked for: wasm runs never pay for the webgpu backend's kernels.
    const { WebGPUBackend } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-backend-webgpu') as typeof import('@tensorflow/tfjs-backend-webgpu');
    const device = await opened.adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: opened.adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: opened.adapter.limits.maxBufferSize,
        maxComputeWorkgroupStorageSize: opened.adapter.limits.maxComputeWorkgroupStorageSize,
      },
    });
    const s: GpuSession = {
      device,
      adapter: opened.report,
      whenLost: device.lost.then((info) => {
        s.lost = info.message || String(info.reason ?? '') || 'device lost';
        throw new GpuLostError(s.lost);
      }),
    };
    s.whenLost.catch(() => undefined); // observed by reads and checkDevice, not an unhandled rejection
    tf.removeBackend('webgpu');
    tf.registerBackend(
      'webgpu',
      () => new WebGPUBackend(device, (opened.adapter as { info?: GPUAdapterInfo }).info),
    );
    if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") returned false');
    await tf.ready();
    session = s;
    return { ok: true, adapter: s.adapter };
  } catch (err) {
    return {
      ok: false,
      reason: `the webgpu backend failed to start (${err instanceof Error ? err.message : String(err)})`,
    };
  }
}

/** Throws when the device was lost, so a run stops at once instead of waiting on a dead queue. */
export function checkDevice(): void {
  if (session?.lost) throw new GpuLostError(session.lost);
}

/** `p`, unless the GPU is lost first (a read from a lost device may never complete). */
export function unlessGpuLost<T>(p: Promise<T>): Promise<T> {
  if (!session || tf.getBackend() !== 'webgpu') return p;
  checkDevice();
  return Promise.race([p, session.whenLost]);
}

export class GpuLostError extends Error {
  constructor(readonly why: string) {
    super(`the GPU device was lost (${why})`);
    this.name = 'GpuLostError';
  }
}
