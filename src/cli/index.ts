// The `seqlab` command line: the program, one file per subcommand, and error printing.
import { Command } from 'commander';
import { describeError } from '../engine';
import { SeqLabError } from '../engine/errors';
import { registerCompare } from './compare';
import { registerCompleteEval } from './completeEval';
import { registerEval } from './eval';
import { registerExport } from './export';
import { registerFinetune } from './finetune';
import { registerForecast } from './forecast';
import { registerInfo } from './info';
import { registerInspect } from './inspect';
import { flagOfConfigKey } from './options';
import { registerPredict } from './predict';
import { registerResume } from './resume';
import { registerSample } from './sample';
import { registerSweep } from './sweep';
import { registerTrain } from './train';
import { registerTranslate } from './translate';

export function buildProgram(): Command {
  const program = new Command('seqlab')
    .description('Train RNN, LSTM and GRU language models on a folder of text or code.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerTrain(program);
  registerCompare(program);
  registerResume(program);
  registerFinetune(program);
  registerSample(program);
  registerEval(program);
  registerInfo(program);
  registerCompleteEval(program);
  registerExport(program);
  registerPredict(program);
  registerInspect(program);
  registerSweep(program);
  registerTranslate(program);
  registerForecast(program);
  return program;
}

/** One line; a config error names the flag the user typed (`--hidden`), not the config key. */
export function describeCliError(err: unknown): string {
  if (err instanceof SeqLabError && err.where) {
    const flag = flagOfConfigKey(err.where);
    if (flag) return new SeqLabError(err.code, err.message, flag, err.hint).describe();
  }
  return describeError(err);
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      // commander already printed its message; help and version are not failures.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : (e.exitCode ?? 1);
    }
    console.error(`seqlab: ${describeCliError(err)}`);
    return 1;
  }
}

main(process.argv).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`seqlab: ${describeCliError(err)}`);
    process.exit(1);
  },
);
