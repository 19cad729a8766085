import { train, TrainOptions, TrainResult } from '../trainer';

/**
 * How a sweep's child process starts one run. Every task's training goes through here, so a sweep
 * works for whatever `config` trains.
 */
export function trainRun(o: TrainOptions): Promise<TrainResult> {
  return train(o);
}
