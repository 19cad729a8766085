import * as tf from '@tensorflow/tfjs';
import { unlessGpuLost } from '../gpu/webgpuBackend';

/**
 * Whether tensors can be read synchronously. Not on webgpu: Node has no synchronous read-back
 * from a GPU (TF.js's readSync needs a browser's OffscreenCanvas), so the engine reads there
 * asynchronously, and only the few numbers each step reports.
 */
export function syncReads(): boolean {
  return tf.getBackend() !== 'webgpu';
}

/**
 * Makes the next dataSync() of these tensors return at once: on webgpu each is read back first,
 * and TF.js keeps that copy until the tensor changes. Nothing to do on the CPU backends.
 */
export async function prefetch(ts: readonly tf.Tensor[]): Promise<void> {
  if (!syncReads()) await unlessGpuLost(Promise.all(ts.map((t) => t.data())));
}

/**
 * A tensor's values: at once on the CPU backends, read back asynchronously on webgpu (racing a
 * lost device, so a dead GPU ends the read instead of hanging it). Evaluation and decoding read
 * through here, so the same code runs on every backend.
 */
export async function readValues(t: tf.Tensor): Promise<tf.TypedArray> {
  return syncReads() ? (t.dataSync() as tf.TypedArray) : unlessGpuLost(t.data() as Promise<tf.TypedArray>);
}

/** readValues as nested arrays (a [rows, cols] tensor's rows). */
export async function readRows(t: tf.Tensor2D): Promise<number[][]> {
  return syncReads() ? t.arraySync() : unlessGpuLost(t.array());
}
