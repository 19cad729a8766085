import * as fs from 'fs';
import { Command, Option } from 'commander';
import { SeqLabError } from '../engine/errors';
import { classifyTexts, loadClassifier } from '../engine/tasks/classify/use';

/** The text to classify: a file, or standard input for `-` or no argument. */
function readInput(file: string | undefined): string {
  if (!file || file === '-') return fs.readFileSync(0, 'utf8');
  if (!fs.existsSync(file))
    throw new SeqLabError(
      'E_INPUT',
      `File not found: ${file}`,
      file,
      'Give a text file, or - to read standard input.',
    );
  return fs.readFileSync(file, 'utf8');
}

export function registerPredict(program: Command): void {
  program
    .command('predict <checkpoint> [file]')
    .description('classify a text (a file, or standard input with - or no file) with a classifier checkpoint')
    .option('--lines', 'classify each non-empty line separately')
    .addOption(new Option('--backend <name>').choices(['wasm', 'cpu']).default('wasm'))
    .option('--json', 'print JSON (one object per text)')
    .action(
      async (
        checkpoint: string,
        file: string | undefined,
        f: { lines?: boolean; json?: boolean; backend: 'wasm' | 'cpu' },
      ) => {
        const c = await loadClassifier(checkpoint, 'Predicting a label', f.backend);
        try {
          const input = readInput(file);
          const texts = f.lines ? input.split(/\r?\n/).filter((l) => l.trim() !== '') : [input];
          const preds = await classifyTexts(c, texts);
          preds.forEach((p, i) => {
            if (f.json) console.log(JSON.stringify({ ...(f.lines ? { text: texts[i] } : {}), ...p }));
            else {
              const probs = Object.entries(p.probabilities)
                .map(([l, v]) => `${l} ${v.toFixed(3)}`)
                .join('  ');
              console.log(`${p.label}\t${probs}${f.lines ? `\t${texts[i]}` : ''}`);
            }
          });
        } finally {
          c.dispose();
        }
      },
    );
}
