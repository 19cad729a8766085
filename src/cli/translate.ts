import * as fs from 'fs';
import { Command, Option } from 'commander';
import { translateWithCheckpoint } from '../engine/tasks/seq2seq/use';
import { int } from './options';

/** `seqlab translate <checkpoint> [text|-]`: one output line per input line (stdin with - or no text). */
export function registerTranslate(program: Command): void {
  program
    .command('translate <checkpoint> [text]')
    .description(
      'translate (or summarise) text with a sequence-to-sequence checkpoint; - or no text reads stdin',
    )
    .option('--beam <n>', 'beam width (1 = greedy; default: the checkpoint’s)', int('--beam'))
    .addOption(new Option('--backend <name>').choices(['wasm', 'cpu']).default('wasm'))
    .option('--json', 'one JSON object per line (source, output, score, attention)')
    .action(
      async (
        checkpoint: string,
        text: string | undefined,
        f: { beam?: number; backend: 'wasm' | 'cpu'; json?: boolean },
      ) => {
        const input = text === undefined || text === '-' ? fs.readFileSync(0, 'utf8') : text;
        const lines = input.split(/\r?\n/).filter((l) => l.trim().length > 0);
        const out = await translateWithCheckpoint(checkpoint, lines, { beam: f.beam, backend: f.backend });
        for (const t of out) console.log(f.json ? JSON.stringify(t) : t.output);
      },
    );
}
