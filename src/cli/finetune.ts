import { Command } from 'commander';
import { readManifest } from '../engine';
import { configFrom, int, TrainFlags, trainFlags } from './options';
import { runTraining } from './report';

export function registerFinetune(program: Command): void {
  trainFlags(
    program
      .command('finetune <checkpoint> <folder>')
      .description('fine-tune a checkpoint on another folder, keeping its tokenizer'),
    false,
  )
    .option('--freeze-embedding', 'do not train the embedding')
    .option('--freeze-layers <n>', 'do not train the lowest n recurrent layers', int('--freeze-layers'))
    .option('--add-layer', 'add a recurrent layer on top')
    .action(
      async (
        checkpoint: string,
        folder: string,
        flags: TrainFlags & { freezeEmbedding?: boolean; freezeLayers?: number; addLayer?: boolean },
      ) => {
        const base = readManifest(checkpoint).train;
        // The checkpoint's own limits do not carry over: the fine-tune sets its own.
        const config = configFrom(flags, base, { steps: 0, timeSeconds: 0, epochs: 0 });
        await runTraining(
          {
            folder,
            config,
            out: flags.out,
            finetune: {
              checkpoint,
              freezeEmbedding: flags.freezeEmbedding,
              freezeLayers: flags.freezeLayers,
              addLayer: flags.addLayer,
            },
          },
          !!flags.json,
          true,
        );
      },
    );
}
