import type { TrainConfig } from '../src/engine/config';
import { forecastOptions, prepareForecastData } from '../src/engine/tasks/forecast/data';
import { forecastModelConfig, ForecastTask } from '../src/engine/tasks/forecast/task';

/** A forecaster's initial weights (SeqLab's names and layouts) and the windows of each step's batch. */
export interface ForecastStart {
  weights: Record<string, { shape: number[]; data: number[] }>;
  batches: number[][];
}

/**
 * What a fresh SeqLab run of `config` on `file` starts from and feeds, built by the forecaster's own
 * task as trainForecaster builds it (same seed, so same weights and shuffles) and stepped through
 * its epochs as the training loop does: PyTorch can then replay the very same run.
 */
export function forecastStart(file: string, config: TrainConfig, steps: number): ForecastStart {
  const recorded: TrainConfig = { ...config, task: 'forecast', forecast: forecastOptions(config) };
  const data = prepareForecastData(file, recorded);
  const task = new ForecastTask({
    model: forecastModelConfig(recorded.model, data),
    config: recorded,
    data,
    epoch: 0,
    step: 0,
    emit: () => undefined,
  });
  try {
    const weights: ForecastStart['weights'] = {};
    for (const [name, w] of task.model.exportWeights())
      weights[name] = { shape: w.shape, data: Array.from(w.data) };
    const batches: number[][] = [];
    for (let step = 0, index = 0; step < steps; step++, index++) {
      if (index === task.batchesPerEpoch) {
        index = 0;
        task.startEpoch();
      }
      batches.push(task.batchOrigins(index));
    }
    return { weights, batches };
  } finally {
    task.dispose();
  }
}
