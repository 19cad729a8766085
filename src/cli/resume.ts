import { Command } from 'commander';
import { DEFAULT_TRAIN_CONFIG, mergeConfig } from '../engine';
import { int, num } from './options';
import { runTraining } from './report';
import { resumeEngine, runTorchTraining, TorchFlags, torchFlags } from './torch';

export function registerResume(program: Command): void {
  torchFlags(program.command('resume <run> [checkpoint]'))
    .description(
      'continue a run from its newest checkpoint that loads, or from [checkpoint] (exactly: weights, optimizer, data position)',
    )
    .option('--steps <n>', 'new total step limit', int('--steps'))
    .option('--time <s>', 'train this many more seconds', num('--time'))
    .option('--json', 'print events as JSON lines')
    .option('--engine <name>', "continue on this engine: wasm or torch (default: the run's own)")
    .action(
      async (
        run: string,
        checkpoint: string | undefined,
        flags: { steps?: number; time?: number; json?: boolean; engine?: string } & TorchFlags,
      ) => {
        const opts = {
          folder: '',
          resume: run,
          resumeFrom: checkpoint,
          config: mergeConfig(DEFAULT_TRAIN_CONFIG, {
            steps: flags.steps ?? 0,
            timeSeconds: flags.time ?? 0,
          }),
        };
        if (resumeEngine(run, flags.engine) === 'torch') return runTorchTraining(opts, flags, !!flags.json);
        await runTraining(opts, !!flags.json, false);
      },
    );
}
