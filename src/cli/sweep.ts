import { Command, Option } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { overridesFromFlat, parseSeqlabJson } from '../config/flatConfig';
import { DEFAULT_TRAIN_CONFIG, mergeConfig, PRESETS, TrainConfig } from '../engine/config';
import { SeqLabError } from '../engine/errors';
import { RUN_FILES } from '../engine/runFolder';
import {
  parseDuration,
  parseSpace,
  parseSweepSection,
  PRUNE_RULES,
  runSweepDir,
  sweep,
  SweepEvent,
  SweepRequest,
  SweepSettings,
  writeSweepTable,
} from '../engine/sweep';
import { configFrom, int, TrainFlags, trainFlags } from './options';
import { stopOnSigint } from './report';

type SweepFlags = TrainFlags & {
  grid?: string;
  seeds?: number;
  random?: number;
  budget?: string;
  parallel?: number;
  threadsPerRun?: number;
  prune?: SweepRequest['prune'];
  metric?: string;
  resume?: string;
};

/** A folder's seqlab.json: its flat keys as the base config, and its `sweep` section. */
function readFolderJson(folder: string): { base: TrainConfig; settings: SweepSettings; file?: string } {
  const file = path.join(folder, 'seqlab.json');
  if (!fs.existsSync(file) || !fs.statSync(folder).isDirectory())
    return { base: DEFAULT_TRAIN_CONFIG, settings: {} };
  const json = parseSeqlabJson(fs.readFileSync(file, 'utf8'), file);
  const { overrides, preset } = overridesFromFlat(json, file);
  return {
    base: mergeConfig(DEFAULT_TRAIN_CONFIG, preset ? PRESETS[preset] : undefined, overrides),
    settings: json.sweep === undefined ? {} : parseSweepSection(json.sweep, file),
    file,
  };
}

/** Prints a sweep's progress: one line per run start and end, or every event with --json. */
function sweepReporter(json: boolean) {
  return (e: SweepEvent) => {
    if (json) return console.log(JSON.stringify(e));
    if (e.type === 'runStart')
      console.log(
        `${e.resumed ? 'resume' : 'start'} ${e.runId}  ${Object.entries(e.params)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
      );
    else if (e.type === 'runEnd')
      console.log(
        `${e.entry.state.padEnd(8)} ${e.runId}${e.entry.pruned ? `  at step ${e.entry.pruned.step}: ${e.entry.pruned.reason}` : ''}${e.entry.error ? `  ${e.entry.error}` : ''}`,
      );
    else if (e.type === 'log') console.error(e.message);
    else if (e.event.type === 'error') console.error(`${e.runId}: ${e.event.message}`);
  };
}

export function registerSweep(program: Command): void {
  trainFlags(
    program
      .command('sweep [folder]')
      .description(
        "train many runs of one config over a search space, e.g. --grid 'cell=lstm,gru hidden=64,128' --seeds 3 --prune median; every train flag sets the base config",
      )
      .option(
        '--grid <space>',
        "keys and values to sweep: 'cell=lstm,gru hidden=64,128 lr=1e-3,3e-3' (ranges lo..hi[:log] with --random)",
      )
      .option('--seeds <n>', 'runs per point, seeds base, base+1, …', int('--seeds'))
      .option('--random <n>', 'sample n points of the space instead of the whole grid', int('--random'))
      .option('--budget <time>', 'wall-clock limit of the whole sweep (30m, 2h); runs left are resumable')
      .option('--parallel <k>', 'runs at once (default: cores ÷ threads per run)', int('--parallel'))
      .option('--threads-per-run <n>', 'wasm threads each run uses (default 1)', int('--threads-per-run'))
      .addOption(
        new Option('--prune <rule>', 'early stopping: median stopping rule or ASHA').choices(PRUNE_RULES),
      )
      .option(
        '--metric <name>',
        'eval field to rank and prune by, e.g. valLoss, bpc, accuracy:max (default valLoss)',
      )
      .option('--resume <sweep>', 'continue the runs of this sweep folder not yet done'),
    true,
  ).action(async (folder: string | undefined, flags: SweepFlags) => {
    const json = !!flags.json;
    const onEvent = sweepReporter(json);
    const shouldStop = stopOnSigint();
    let result;
    if (flags.resume) {
      result = await runSweepDir(path.resolve(flags.resume), {
        onEvent,
        shouldStop,
        parallel: flags.parallel,
      });
    } else {
      if (!folder)
        throw new SeqLabError(
          'E_SWEEP',
          'seqlab sweep needs a folder to train on',
          '<folder>',
          "Run seqlab sweep <folder> --grid 'hidden=64,128', or --resume <sweep folder>.",
        );
      const fromJson = readFolderJson(folder);
      const s = fromJson.settings;
      const space = flags.grid !== undefined ? parseSpace(flags.grid) : s.space;
      if (!space?.length)
        throw new SeqLabError(
          'E_SWEEP',
          'No search space: give --grid, or a "sweep": {"grid": …} section in seqlab.json',
          fromJson.file ?? '--grid',
          "For example --grid 'cell=lstm,gru hidden=64,128'.",
        );
      result = await sweep(
        {
          folder,
          out: flags.out,
          base: configFrom(flags, fromJson.base),
          space,
          random: flags.random ?? s.random,
          seeds: flags.seeds ?? s.seeds,
          prune: flags.prune ?? s.prune,
          pruneOptions: s.pruneOptions,
          metric: flags.metric ?? s.metric,
          parallel: flags.parallel ?? s.parallel,
          threadsPerRun: flags.threadsPerRun ?? s.threadsPerRun,
          budgetSeconds:
            flags.budget !== undefined ? parseDuration(flags.budget, '--budget') : s.budgetSeconds,
        },
        { onEvent, shouldStop },
      );
    }
    const { rows, markdown } = writeSweepTable(result.dir, result.spec);
    const failed = result.spec.status === 'failed' ? result.spec.runs.find((r) => r.error) : undefined;
    if (json)
      console.log(JSON.stringify({ type: 'sweep', dir: result.dir, status: result.spec.status, rows }));
    else {
      console.log('\n' + markdown);
      console.log(`table written to ${path.join(result.dir, RUN_FILES.sweepTable)}`);
      if (result.spec.status === 'stopped')
        console.log(`sweep stopped with runs left: seqlab sweep --resume ${result.dir}`);
    }
    if (failed)
      throw new SeqLabError(
        'E_SWEEP',
        `Every run of the sweep failed; the first: ${failed.error}`,
        result.dir,
        'Fix the cause, then run the sweep again (or resume it).',
      );
  });
}
