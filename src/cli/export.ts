import { Command, Option } from 'commander';
import { initBackend } from '../engine/wasm/backend';
import { EXPORT_FORMATS, ExportFormat, exportCheckpoint } from '../engine/export';

export function registerExport(program: Command): void {
  program
    .command('export <checkpoint>')
    .description('write a checkpoint as safetensors (+ config.json) or a TF.js LayersModel')
    .addOption(
      new Option('--format <format>', 'safetensors | tfjs').choices(EXPORT_FORMATS).makeOptionMandatory(),
    )
    .requiredOption('--out <folder>', 'the folder to create')
    .option('--force', 'replace an earlier export in --out')
    .action(async (checkpoint: string, flags: { format: ExportFormat; out: string; force?: boolean }) => {
      // Building the TF.js model needs a backend; the CPU one is enough to write weights.
      if (flags.format === 'tfjs') await initBackend('cpu');
      const r = await exportCheckpoint(checkpoint, {
        format: flags.format,
        out: flags.out,
        overwrite: flags.force,
      });
      for (const f of r.files) console.log(f);
    });
}
