import { Command, Option } from 'commander';
import type { ShardMode } from '../engine/tasks/languageModel/data';
import { DEFAULT_TRAIN_CONFIG } from '../engine/config';
import { FORECAST_BASE_CONFIG } from '../engine/tasks/forecast/defaults';
import { configFrom, TrainFlags, trainFlags } from './options';
import { runTraining } from './report';
import { runTorchTraining, TorchFlags, torchFlags } from './torch';

export function registerTrain(program: Command): void {
  torchFlags(
    trainFlags(
      program
        .command('train <folder>')
        .description('train a new model on a folder (or file; a CSV with --task forecast)'),
      true,
    ),
  )
    .addOption(
      new Option(
        '--shard <mode>',
        'stream the corpus from a tokenized shard on disk (.seqlab/shards): on, off, or auto (above 256 MB of text)',
      )
        .choices(['auto', 'on', 'off'])
        .default('auto'),
    )
    .action(async (folder: string, flags: TrainFlags & TorchFlags) => {
      // A forecaster starts from its own defaults (a small model); flags and presets apply on top.
      const base = flags.task === 'forecast' ? FORECAST_BASE_CONFIG : DEFAULT_TRAIN_CONFIG;
      const config = configFrom(flags, base);
      if (config.engine === 'torch')
        return runTorchTraining({ folder, config, out: flags.out }, flags, !!flags.json);
      const shard = flags.shard as ShardMode;
      await runTraining({ folder, config, out: flags.out, shard }, !!flags.json, true);
    });
}
