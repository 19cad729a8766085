import { Command } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { SeqLabError } from '../engine/errors';
import { DEFAULT_TRAIN_CONFIG, mergeConfig } from '../engine';
import { int, num } from './options';
import { runTraining } from './report';

export function registerResume(program: Command): void {
  program
    .command('resume <run> [checkpoint]')
    .description(
      'continue a run from its newest checkpoint that loads, or from [checkpoint] (exactly: weights, optimizer, data position)',
    )
    .option('--steps <n>', 'new total step limit', int('--steps'))
    .option('--time <s>', 'train this many more seconds', num('--time'))
    .option('--json', 'print events as JSON lines')
    .action(
      async (
        run: string,
        checkpoint: string | undefined,
        flags: { steps?: number; time?: number; json?: boolean },
      ) => {
        checkRunConfig(run);
        await runTraining(
          {
            folder: '',
            resume: run,
            resumeFrom: checkpoint,
            config: mergeConfig(DEFAULT_TRAIN_CONFIG, {
              steps: flags.steps ?? 0,
              timeSeconds: flags.time ?? 0,
            }),
          },
          !!flags.json,
          false,
        );
      },
    );
}

/**
 * The trainer reads the run's config.json for the folder it trained on; a missing file or key
 * would surface as a raw ENOENT or as "Folder not found: undefined". A folder without checkpoints
 * is left to the trainer, which says so.
 */
function checkRunConfig(run: string): void {
  const dir = path.resolve(run);
  if (!fs.existsSync(path.join(dir, 'checkpoints'))) return;
  const file = path.join(dir, 'config.json');
  const hint =
    'Resume a run folder that seqlab train created, or start a new run with seqlab train <folder>.';
  let cfg: unknown;
  try {
    cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : 'is not valid JSON';
    throw new SeqLabError('E_RESUME', `Cannot resume ${dir}: its config.json ${why}`, file, hint);
  }
  const folder = (cfg as { folder?: unknown } | null)?.folder;
  if (typeof folder !== 'string' || !folder)
    throw new SeqLabError(
      'E_RESUME',
      `Cannot resume ${dir}: its config.json does not name the folder it trained on`,
      file,
      `Add "folder": "<path of the training text>" to ${file}, or start a new run with seqlab train <folder>.`,
    );
}
