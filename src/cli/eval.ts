import { Command, Option } from 'commander';
import { evaluateCheckpointOnFolder } from '../engine/evaluateFolder';
import { list } from './options';

export function registerEval(program: Command): void {
  program
    .command('eval <checkpoint> <folder>')
    .description('loss, perplexity and bits per character of a checkpoint on a folder (all of it)')
    .option('--include <globs>', 'comma-separated include globs', list)
    .addOption(new Option('--backend <name>').choices(['wasm', 'cpu']).default('wasm'))
    .option('--json', 'print JSON')
    .action(
      async (
        checkpoint: string,
        folder: string,
        f: { include?: string[]; backend: 'wasm' | 'cpu'; json?: boolean },
      ) => {
        const r = await evaluateCheckpointOnFolder(checkpoint, folder, {
          include: f.include,
          patternSource: '--include',
          backend: f.backend,
          log: (l) => console.error(l),
        });
        if (f.json) console.log(JSON.stringify(r));
        else
          console.log(
            `loss ${r.loss.toFixed(4)}  perplexity ${r.perplexity.toFixed(2)}  bits per character ${r.bpc.toFixed(3)}  (${r.tokens} tokens${r.unknownTokens ? `, ${r.unknownTokens} unknown` : ''})`,
          );
      },
    );
}
