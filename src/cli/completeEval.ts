import { Command, InvalidArgumentError } from 'commander';
import {
  CompletionEvaluation,
  DEFAULT_NGRAM_ORDER,
  evaluateCompletion,
  HELD_OUT_PARTS,
  HeldOutPart,
} from '../engine/completion/evaluate';
import type { KeystrokeFigures } from '../engine/completion/keystrokeEval';
import { completionWeighting } from '../engine/completion/mixture';
import { DEFAULT_COMPLETE_OPTIONS } from '../engine/inference/completer';

const fraction = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError(`${name} must be a number from 0 to 1, got "${v}"`);
  return n;
};
const fractions = (name: string) => (v: string) => v.split(',').map((s) => fraction(name)(s.trim()));
const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`${name} must be a whole number ≥ 1, got "${v}"`);
  return n;
};
const part = (v: string): HeldOutPart => {
  if (!(HELD_OUT_PARTS as readonly string[]).includes(v))
    throw new InvalidArgumentError(`--part must be one of ${HELD_OUT_PARTS.join(', ')}, got "${v}"`);
  return v as HeldOutPart;
};
const mixtureName = (v: string): 'shipped' => {
  if (v !== 'shipped') throw new InvalidArgumentError(`--mixture must be "shipped", got "${v}"`);
  return v;
};
const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

interface Flags {
  minConfidence: number;
  sweep?: number[];
  maxLength: number;
  maxContext: number;
  multiline?: boolean;
  multilineMinConfidence: number;
  order: number;
  chars: number;
  charsPerFile?: number;
  part: HeldOutPart;
  prime?: boolean;
  ngramWeight: number;
  mixture?: 'shipped';
  bits?: number[];
  include?: string[];
  json?: boolean;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

function row(name: string, f: KeystrokeFigures): string {
  return [
    name.padEnd(22),
    pct(f.keystrokesSaved).padStart(9),
    f.shownPer100Chars.toFixed(1).padStart(9),
    pct(f.acceptanceRate).padStart(9),
    f.meanAcceptedLength.toFixed(1).padStart(9),
    (Number.isFinite(f.shownPerAcceptedChar) ? f.shownPerAcceptedChar.toFixed(2) : '–').padStart(11),
  ].join(' ');
}

function print(r: CompletionEvaluation): void {
  console.log(
    `typed ${r.chars} held-out characters (${r.heldOutFiles} file(s)${r.part === 'all' ? '' : `, ${r.part} part`}); max length ${r.options.maxLength}, ${r.options.multiline ? 'multi-line' : 'single line'}, min confidence ${r.options.minConfidence}`,
  );
  console.log(
    `${''.padEnd(22)} ${'saved'.padStart(9)} ${'shown/100'.padStart(9)} ${'accepted'.padStart(9)} ${'mean len'.padStart(9)} ${'shown/acc.'.padStart(11)}`,
  );
  if (r.modelAlone) {
    console.log(row(`model + ${r.ngramOrder}-gram (${r.mixture ?? r.ngramWeight})`, r.model));
    console.log(row('model alone', r.modelAlone));
  } else console.log(row('model', r.model));
  if (r.primed) console.log(row('model, primed', r.primed));
  console.log(row(`${r.ngramOrder}-gram baseline`, r.ngram));
  if (r.bits) {
    console.log(
      "\nbits per character (n-gram weight: 0 = the model alone, 1 = the n-gram alone; shipped = the extension's mixture)",
    );
    for (const b of r.bits) console.log(`${String(b.weight).padEnd(16)} ${b.bitsPerChar.toFixed(3)}`);
  }
  if (r.sweep.length > 1) {
    const alone = r.modelAlone ? '   alone saved  saved/shown char' : '';
    console.log(`\nmin confidence   model saved  saved/shown char   n-gram saved  saved/shown char${alone}`);
    for (const s of r.sweep)
      console.log(
        `${String(s.minConfidence).padEnd(16)} ${pct(s.model.keystrokesSaved).padStart(12)} ${s.modelSavedPerShown.toFixed(3).padStart(17)} ${pct(s.ngram.keystrokesSaved).padStart(14)} ${s.ngramSavedPerShown.toFixed(3).padStart(17)}` +
          (s.modelAlone
            ? ` ${pct(s.modelAlone.keystrokesSaved).padStart(13)} ${(s.modelAloneSavedPerShown ?? 0).toFixed(3).padStart(17)}`
            : ''),
      );
  }
}

/** `seqlab complete-eval <checkpoint> <folder|file>`: keystrokes that completion saves, against an n-gram. */
export function registerCompleteEval(program: Command): void {
  program
    .command('complete-eval <checkpoint> <folder>')
    .description(
      "simulate typing a folder's held-out text with inline completion: keystrokes saved, against a character n-gram baseline",
    )
    .option(
      '--min-confidence <p>',
      'end a suggestion at a token below this probability',
      fraction('--min-confidence'),
      DEFAULT_COMPLETE_OPTIONS.minConfidence,
    )
    .option('--sweep <list>', 'also try these thresholds, e.g. 0,0.3,0.5,0.7', fractions('--sweep'))
    .option(
      '--max-length <n>',
      'longest suggestion',
      positive('--max-length'),
      DEFAULT_COMPLETE_OPTIONS.maxLength,
    )
    .option(
      '--max-context <n>',
      'characters a cold start reads',
      positive('--max-context'),
      DEFAULT_COMPLETE_OPTIONS.maxContext,
    )
    .option('--multiline', 'let suggestions cross line ends when confident')
    .option(
      '--multiline-min-confidence <p>',
      'with --multiline: probability a line end and the next indentation need',
      fraction('--multiline-min-confidence'),
      DEFAULT_COMPLETE_OPTIONS.multilineMinConfidence,
    )
    .option('--order <n>', 'order of the n-gram baseline', positive('--order'), DEFAULT_NGRAM_ORDER)
    .option('--chars <n>', 'held-out characters to type at most', positive('--chars'), 20000)
    .option(
      '--chars-per-file <n>',
      'held-out characters to type at most from each file',
      positive('--chars-per-file'),
    )
    .option(
      '--part <part>',
      'held-out text to type: all, validation (the first half of the held-out files) or test (the rest); choose settings on validation, report test',
      part,
      'all',
    )
    .option('--prime', 'also measure priming each file with the other held-out files of its kind')
    .option(
      '--ngram-weight <w>',
      'mix the model with the n-gram built from the training text at this weight (0: the model alone); reports the model alone beside it',
      fraction('--ngram-weight'),
      0,
    )
    .option(
      '--mixture <name>',
      "mix the model with the n-gram as the extension's completion does (shipped: by the n-gram's evidence for each context); reports the model alone beside it",
      mixtureName,
    )
    .option(
      '--bits <weights>',
      "bits per character over the part's held-out files at these n-gram weights, e.g. 0,0.3,0.5,1",
      fractions('--bits'),
    )
    .option('--include <globs>', 'comma-separated include globs', list)
    .option('--json', 'print JSON')
    .action((checkpoint: string, folder: string, f: Flags) => {
      const r = evaluateCompletion(checkpoint, folder, {
        include: f.include,
        options: {
          minConfidence: f.minConfidence,
          maxLength: f.maxLength,
          maxContext: f.maxContext,
          multiline: !!f.multiline,
          multilineMinConfidence: f.multilineMinConfidence,
        },
        sweep: f.sweep,
        ngramOrder: f.order,
        maxChars: f.chars,
        maxCharsPerFile: f.charsPerFile,
        part: f.part,
        prime: f.prime,
        ngramWeight: f.ngramWeight,
        mixture: f.mixture === 'shipped' ? completionWeighting() : undefined,
        bitsWeights: f.bits,
        log: (l) => console.error(l),
      });
      if (f.json) console.log(JSON.stringify(r));
      else print(r);
    });
}
