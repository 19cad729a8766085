import * as tf from '@tensorflow/tfjs';
import type { CellKind } from '../src/engine/config';
import { installWasmKernelFixes } from '../src/engine/wasm/tfjsKernels';

/**
 * The same model built from stock tf.layers, trained with model.trainOnBatch: the baseline a
 * TF.js user would write. Embedding gradients need UnsortedSegmentSum, which wasm lacks, so the
 * input is one-hot (a [B, T, V] float tensor) into a dense layer without bias, which computes
 * the same thing as an embedding lookup. tf.layers' GRU has no reset_after option, so its GRU
 * is the reset-before variant: the same FLOPs, a slightly different formula.
 */
export function tfLayersModel(
  cell: CellKind,
  V: number,
  E: number,
  H: number,
  layers: number,
  T: number,
): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [T, V], units: E, useBias: false }));
  for (let l = 0; l < layers; l++) {
    const args = { units: H, returnSequences: true };
    model.add(
      cell === 'lstm'
        ? tf.layers.lstm(args)
        : cell === 'gru'
          ? tf.layers.gru(args)
          : tf.layers.simpleRNN(args),
    );
  }
  model.add(tf.layers.dense({ units: V, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(2e-3), loss: 'categoricalCrossentropy' });
  return model;
}

/**
 * Tokens per second of trainOnBatch over `steps` steps (after one warm-up step), on the stock,
 * single-threaded `wasm` backend whatever the engine runs on (its threaded build, usually), with
 * the engine's Slice/Transpose replacements as in earlier runs of this bench.
 */
export async function benchTfLayers(...args: Parameters<typeof timeTfLayers>): Promise<number> {
  const engineBackend = tf.getBackend();
  await tf.setBackend('wasm');
  installWasmKernelFixes('wasm');
  try {
    return await timeTfLayers(...args);
  } finally {
    await tf.setBackend(engineBackend);
  }
}

async function timeTfLayers(
  cell: CellKind,
  V: number,
  E: number,
  H: number,
  layers: number,
  T: number,
  B: number,
  steps: number,
): Promise<number> {
  const model = tfLayersModel(cell, V, E, H, layers, T);
  const ids = tf.randomUniform([B, T], 0, V, 'int32');
  const x = tf.oneHot(ids, V).toFloat();
  const y = tf.oneHot(tf.randomUniform([B, T], 0, V, 'int32'), V).toFloat();
  await model.trainOnBatch(x, y);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
  const dt = (performance.now() - t0) / 1000;
  tf.dispose([ids, x, y]);
  model.dispose();
  return (steps * B * T) / dt;
}
