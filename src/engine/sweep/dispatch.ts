import { trainTask } from '../tasks/registry';
import type { TrainOptions, TrainResult } from '../trainer';

/**
 * How a sweep's child process starts one run: through the task registry, so a sweep trains
 * whatever kind `config.task` names (language model, classifier, translator, forecaster).
 */
export function trainRun(o: TrainOptions): Promise<TrainResult> {
  return trainTask(o);
}
