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
  for (const e of slots) {
    const counted = STEP_SLOT.exec(e.name);
    if (counted) optimizer.paramSteps.set(counted[1], e.data[0]);
    else optimizer.slots.set(e.name, tf.variable(tf.tensor(e.data, e.shape), false));
  }
  return optimizer;
}

/** A parameter's own step count travels with its slots as `<param>/step`, one number. */
const STEP_SLOT = /^(.*)\/step$/;

export function exportSlots(optimizer: Optimizer): TensorEntry[] {
  return [
    ...[...optimizer.slots].map(([name, v]) => ({
      name,
      shape: v.shape.slice(),
      data: v.dataSync() as Float32Array,
    })),
    ...[...optimizer.paramSteps].map(([name, t]) => ({
      name: `${name}/step`,
      shape: [1],
      data: Float32Array.of(t),
    })),
  ];
}
