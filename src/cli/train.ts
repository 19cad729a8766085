import { Command } from 'commander';
import { DEFAULT_TRAIN_CONFIG } from '../engine/config';
import { FORECAST_BASE_CONFIG } from '../engine/tasks/forecast/defaults';
import { configFrom, TrainFlags, trainFlags } from './options';
import { runTraining } from './report';

export function registerTrain(program: Command): void {
  trainFlags(
    program
      .command('train <folder>')
      .description('train a new model on a folder (or file; a CSV with --task forecast)'),
    true,
  ).action(async (folder: string, flags: TrainFlags) => {
    // A forecaster starts from its own defaults (a small model); flags and presets apply on top.
    const base = flags.task === 'forecast' ? FORECAST_BASE_CONFIG : DEFAULT_TRAIN_CONFIG;
    await runTraining({ folder, config: configFrom(flags, base), out: flags.out }, !!flags.json, true);
  });
}
