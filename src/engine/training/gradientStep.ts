import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config';
import { SeqLabError } from '../errors';
import { learningRate, Optimizer, ScheduleOptions, squaredNorms } from '../optim';
import { unlessGpuLost } from '../gpu/webgpuBackend';
import { syncReads } from './reads';
import type { Task } from './task';

/** The loss and each gradient's squared norm in one read-back (the GPU path). */
async function readLossAndNorms(value: tf.Scalar, grads: tf.Tensor[]): Promise<number[]> {
  const t = tf.tidy(() =>
    tf.concat([tf.reshape(value, [1]), tf.stack(grads.map((g) => tf.sum(tf.square(g))))]),
  );
  try {
    return Array.from(await unlessGpuLost(t.data()));
  } finally {
    t.dispose();
  }
}

export interface StepStats {
  loss: number;
  gradNorm: number;
  layerGradNorms: Record<string, number>;
  clipped: boolean;
  lr: number;
}

export function scheduleOf(config: TrainConfig): ScheduleOptions {
  return {
    kind: config.schedule,
    lr: config.lr,
    warmupSteps: config.warmupSteps,
    totalSteps: config.steps,
    totalSeconds: config.timeSeconds,
    decaySteps: config.decaySteps,
    decayRate: config.decayRate,
  };
}

/**
 * One optimizer step on batch `index`: gradients of the task's loss, norms per group, clipping to
 * the global norm, the scheduled learning rate (`elapsedSeconds` into training, for a time budget).
 * A non-finite loss stops the run.
 */
export async function gradientStep(
  task: Task,
  optimizer: Optimizer,
  config: TrainConfig,
  index: number,
  step: number,
  record: boolean,
  elapsedSeconds = 0,
): Promise<StepStats> {
  const varToParam = new Map(task.trainable.map(([name, v]) => [v.name, name]));
  const { value, grads } = tf.variableGrads(
    () => task.loss(index, step, record),
    task.trainable.map(([, v]) => v),
  );
  const names = Object.keys(grads);
  const stats = syncReads()
    ? [value.dataSync()[0], ...squaredNorms(names.map((n) => grads[n]))]
    : await readLossAndNorms(
        value,
        names.map((n) => grads[n]),
      );
  const loss = stats[0];
  if (!Number.isFinite(loss)) {
    throw new SeqLabError(
      'E_DIVERGED',
      `Training diverged at step ${step} (loss ${loss})`,
      'lr',
      'Lower the learning rate (--lr) or the clip threshold (--clip).',
    );
  }
  const groupSq: Record<string, number> = {};
  let total = 0;
  names.forEach((n, i) => {
    const g = task.group(varToParam.get(n)!);
    groupSq[g] = (groupSq[g] ?? 0) + stats[i + 1];
    total += stats[i + 1];
  });
  const gradNorm = Math.sqrt(total);
  const clipped = config.clip > 0 && gradNorm > config.clip;
  const scale = clipped ? config.clip / gradNorm : 1;
  const lr = learningRate(scheduleOf(config), step, elapsedSeconds);
  const gradMap = new Map<string, tf.Tensor>();
  for (const n of names) gradMap.set(varToParam.get(n)!, scale === 1 ? grads[n] : tf.mul(grads[n], scale));
  optimizer.apply(task.params, gradMap, lr);
  tf.dispose([value, ...Object.values(grads), ...[...gradMap.values()]]);
  const layerGradNorms = Object.fromEntries(Object.entries(groupSq).map(([k, v]) => [k, Math.sqrt(v)]));
  return { loss, gradNorm, layerGradNorms, clipped, lr };
}
