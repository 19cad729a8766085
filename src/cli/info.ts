import { Command } from 'commander';
import { readManifest } from '../engine';

export function registerInfo(program: Command): void {
  program
    .command('info <checkpoint>')
    .description('show a checkpoint manifest')
    .action((checkpoint: string) => {
      const m = readManifest(checkpoint);
      const { tokenizer, sha256: _sha, ...rest } = m;
      console.log(
        JSON.stringify(
          { ...rest, tokenizer: { kind: tokenizer.kind, vocabSize: m.model.vocabSize } },
          null,
          2,
        ),
      );
    });
}
