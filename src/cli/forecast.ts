import * as fs from 'fs';
import { Command, Option } from 'commander';
import { SeqLabError } from '../engine/errors';
import { forecastCsv, forecastFile } from '../engine/tasks/forecast';
import { int } from './options';

export function registerForecast(program: Command): void {
  program
    .command('forecast <checkpoint> <file>')
    .description('forecast the next values of a CSV/TSV series with a forecaster checkpoint (CSV on stdout)')
    .option('--steps <k>', 'values to forecast (default: the model’s horizon)', int('--steps'))
    .option('--out <file>', 'write the CSV to this file instead of stdout')
    .option('--force', 'overwrite --out if it exists')
    .addOption(new Option('--backend <name>').choices(['wasm', 'cpu']).default('wasm'))
    .action(
      async (
        checkpoint: string,
        file: string,
        f: { steps?: number; out?: string; force?: boolean; backend: 'wasm' | 'cpu' },
      ) => {
        if (f.steps !== undefined && f.steps < 1)
          throw new SeqLabError(
            'E_CONFIG',
            `--steps must be at least 1, got ${f.steps}`,
            '--steps',
            'Give a positive number of steps.',
          );
        if (f.out && fs.existsSync(f.out) && !f.force)
          throw new SeqLabError(
            'E_EXISTS',
            `${f.out} already exists`,
            f.out,
            'Choose another --out, or add --force to overwrite it.',
          );
        // On stderr: stdout holds only the CSV.
        const csv = forecastCsv(
          await forecastFile(checkpoint, file, f.steps, f.backend, (w) => console.error(`warning: ${w}`)),
        );
        if (f.out) fs.writeFileSync(f.out, csv);
        else process.stdout.write(csv);
      },
    );
}
