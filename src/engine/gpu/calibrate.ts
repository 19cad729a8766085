import * as tf from '@tensorflow/tfjs';
import { startWebgpu } from './webgpuBackend';

/** The products of one recurrent step, which dominate a training step's time. */
export interface CalibrationShape {
  batch: number;
  hidden: number;
  /** Width of a layer's input (embedding or the layer below). */
  input: number;
}

/** The calibration shape of a run: its batch, and its recurrent layers' widths. */
export function calibrationShape(
  batch: number,
  model: { hidden: number; embedding: number },
): CalibrationShape {
  return { batch, hidden: model.hidden, input: Math.max(model.embedding, model.hidden) };
}

/** Milliseconds per step-sized product on the backend now active (after a warm-up). */
async function timeProducts(shape: CalibrationShape, rounds: number): Promise<number> {
  const x = tf.randomNormal([shape.batch, shape.input + shape.hidden]);
  const w = tf.randomNormal([shape.input + shape.hidden, 4 * shape.hidden]);
  const run = async () => {
    const y = tf.tidy(() => tf.matMul(tf.matMul(x, w), w, false, true));
    await y.data();
    y.dispose();
  };
  try {
    await run();
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) await run();
    return (performance.now() - t0) / rounds;
  } finally {
    x.dispose();
    w.dispose();
  }
}

/**
 * Times a step's products on webgpu, then on wasm (`startWasm` switches to it). Each timing
 * includes the read-back a step needs, so a GPU wins only where it wins in training.
 */
export async function calibrate(
  shape: CalibrationShape,
  startWasm: () => Promise<unknown>,
  rounds = 8,
): Promise<{ webgpuMs: number; wasmMs: number }> {
  await startWebgpu();
  const webgpuMs = await timeProducts(shape, rounds);
  await startWasm();
  const wasmMs = await timeProducts(shape, rounds);
  return { webgpuMs, wasmMs };
}
