import * as tf from '@tensorflow/tfjs';
import type { TensorEntry } from '../checkpoint';
import type { TrainConfig } from '../config';
import { Optimizer } from '../optim';

/** The configured optimizer, its slots and step restored when resuming. */
export function createOptimizer(
  config: TrainConfig,
  lrScale: Record<string, number>,
  slots: TensorEntry[],
  step: number,
): Optimizer {
  const optimizer = new Optimizer({
    kind: config.optimizer,
    momentum: config.momentum,
    weightDecay: config.weightDecay,
    lrScale,
  });
  optimizer.step = step;
  for (const e of slots) optimizer.slots.set(e.name, tf.variable(tf.tensor(e.data, e.shape), false));
  return optimizer;
}

export function exportSlots(optimizer: Optimizer): TensorEntry[] {
  return [...optimizer.slots].map(([name, v]) => ({
    name,
    shape: v.shape.slice(),
    data: v.dataSync() as Float32Array,
  }));
}
