import { Command } from 'commander';
import { configFrom, TrainFlags, trainFlags } from './options';
import { runTraining } from './report';
import { runTorchTraining, TorchFlags, torchFlags } from './torch';

export function registerTrain(program: Command): void {
  torchFlags(
    trainFlags(
      program.command('train <folder>').description('train a new model on a folder (or file)'),
      true,
    ),
  ).action(async (folder: string, flags: TrainFlags & TorchFlags) => {
    const config = configFrom(flags);
    if (config.engine === 'torch')
      return runTorchTraining({ folder, config, out: flags.out }, flags, !!flags.json);
    await runTraining({ folder, config, out: flags.out }, !!flags.json, true);
  });
}
