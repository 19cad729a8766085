import { Command, Option } from 'commander';
import { readManifest } from '../engine/checkpoint';
import { evaluateCheckpointOnFolder } from '../engine/evaluateFolder';
import { TASK_NOUNS, TaskKind, taskOf } from '../engine/tasks/kinds';
import { SeqLabError } from '../engine/errors';
import { evalClassifier } from './evalClassify';
import { evalSeq2seq } from './evalSeq2seq';
import { int, list } from './options';
import type { BackendChoice } from '../engine/wasm/backendNames';
import { evalForecaster } from './evalForecast';

/** The flags of `seqlab eval`; a task reads the ones it has. */
export interface EvalFlags {
  include?: string[];
  backend: BackendChoice;
  json?: boolean;
  [flag: string]: unknown;
}

/** Evaluates a checkpoint of one kind on `data` and prints its figures (one JSON object with --json). */
type Evaluator = (checkpoint: string, data: string, f: EvalFlags) => Promise<void>;

async function evalLanguageModel(checkpoint: string, folder: string, f: EvalFlags): Promise<void> {
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
}

/** One line per kind of checkpoint. */
const EVALUATORS: Partial<Record<TaskKind, Evaluator>> = {
  lm: evalLanguageModel,
  classify: evalClassifier,
  seq2seq: evalSeq2seq,
  forecast: evalForecaster,
};

export function registerEval(program: Command): void {
  program
    .command('eval <checkpoint> <data>')
    .description(
      'evaluate a checkpoint on a folder or file: a language model gives loss, perplexity and bits per character; a classifier accuracy, macro-F1, per-class figures and the confusion matrix; a translator BLEU, chrF and loss; a forecaster, on a CSV, MAE, RMSE, MAPE and MASE against the baselines',
    )
    .option('--include <globs>', 'comma-separated include globs', list)
    .addOption(new Option('--backend <name>').choices(['wasm', 'webgpu', 'auto', 'cpu']).default('wasm'))
    .option('--json', 'print JSON')
    .option('--text-column <name>', 'classifier: the text column of a table')
    .option('--label-column <name>', 'classifier: the label column of a table')
    .option('--beam <n>', 'sequence to sequence: beam width (1 = greedy)', int('--beam'))
    .action(async (checkpoint: string, data: string, f: EvalFlags) => {
      const kind = taskOf(readManifest(checkpoint));
      const evaluator = EVALUATORS[kind];
      if (!evaluator)
        throw new SeqLabError(
          'E_TASK',
          `Evaluating a ${TASK_NOUNS[kind]} checkpoint is not available in this version of SeqLab`,
          checkpoint,
          'update SeqLab',
        );
      await evaluator(checkpoint, data, f);
    });
}
