import { Command } from 'commander';
import { configFrom, TrainFlags, trainFlags } from './options';
import { runTraining } from './report';

export function registerTrain(program: Command): void {
  trainFlags(
    program.command('train <folder>').description('train a new model on a folder (or file)'),
    true,
  ).action(async (folder: string, flags: TrainFlags) => {
    await runTraining({ folder, config: configFrom(flags), out: flags.out }, !!flags.json, true);
  });
}
