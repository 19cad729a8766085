import { Command } from 'commander';
import * as path from 'path';
import { ALL_CELLS } from '../engine/compare';
import { compareCells } from '../engine/compareRun';
import type { CellKind } from '../engine/config';
import { SeqLabError } from '../engine/errors';
import { RUN_FILES } from '../engine/runFolder';
import { configFrom, list, TrainFlags, trainFlags } from './options';
import { reporter, stopOnSigint } from './report';

export function registerCompare(program: Command): void {
  trainFlags(
    program
      .command('compare <folder>')
      .description(
        'train rnn, lstm and gru at about equal parameter count on one folder (one split, one seed) and print a table',
      )
      .option('--cells <list>', 'cells to compare, comma-separated (default rnn,lstm,gru)', list),
    true,
  ).action(async (folder: string, flags: TrainFlags & { cells?: string[] }) => {
    const cells = (flags.cells ?? ALL_CELLS) as CellKind[];
    const bad = cells.filter((c) => !ALL_CELLS.includes(c));
    if (bad.length || cells.length === 0)
      throw new SeqLabError(
        'E_CONFIG',
        `--cells: unknown cell ${bad.join(', ') || '(none)'}`,
        '--cells',
        'Use rnn, lstm and/or gru, e.g. --cells rnn,lstm.',
      );
    const json = !!flags.json;
    let current: CellKind | undefined;
    const report = reporter(json, () => configFrom(flags).steps);
    const r = await compareCells({
      folder,
      config: configFrom(flags),
      cells,
      out: flags.out,
      shouldStop: stopOnSigint(),
      log: (l) => console.error(l),
      onEvent: (cell, e) => {
        if (cell !== current && !json) console.log(`\n=== ${cell} ===`);
        current = cell;
        report(e);
      },
    });
    if (json) console.log(JSON.stringify({ type: 'compare', dir: r.dir, rows: r.rows, stopped: r.stopped }));
    else {
      console.log('\n' + r.markdown);
      console.log(
        `table written to ${path.join(r.dir, RUN_FILES.compareTable)}${r.stopped ? ' (stopped early: finished cells kept)' : ''}`,
      );
    }
  });
}
