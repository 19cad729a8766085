import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { SeqLabError } from '../engine/errors';
import { EXPORT_FORMATS, ExportFormat } from '../engine/export/formats';
import { CheckpointItem } from '../views/checkpointTree';
import { CommandContext } from './context';
import { pickCheckpoint } from './training';

/** Arguments for scripts and tests; the tree passes its item instead. */
export interface ExportArgs {
  checkpoint: string;
  format?: ExportFormat;
  out?: string;
  /** Replace an earlier export at `out` without asking. */
  overwrite?: boolean;
}

const FORMAT_ITEMS: (vscode.QuickPickItem & { format: ExportFormat })[] = [
  {
    label: 'safetensors',
    description: 'model.safetensors + config.json',
    detail: 'Weights under SeqLab’s names, for PyTorch (the seqlab_torch package) and other tools.',
    format: 'safetensors',
  },
  {
    label: 'TF.js LayersModel',
    description: 'model.json + weights.bin',
    detail: 'Loads with tf.loadLayersModel in a browser or Node; gives the same logits as SeqLab.',
    format: 'tfjs',
  },
];

/**
 * Runs `seqlab export` from the extension's own CLI bundle in a child process: building a TF.js
 * model needs TF.js, which the extension host never loads. Resolves with the files written.
 */
function runExport(
  ctx: CommandContext,
  checkpoint: string,
  format: ExportFormat,
  out: string,
  overwrite: boolean,
) {
  const cli = vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'cli.js').fsPath;
  const args = [
    cli,
    'export',
    checkpoint,
    '--format',
    format,
    '--out',
    out,
    ...(overwrite ? ['--force'] : []),
  ];
  return new Promise<string[]>((resolve, reject) =>
    execFile(
      process.execPath,
      args,
      { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout.trim().split('\n').filter(Boolean));
        const line =
          stderr
            .trim()
            .split('\n')
            .pop()
            ?.replace(/^seqlab: /, '') || err.message;
        reject(new SeqLabError('E_EXPORT', line, out));
      },
    ),
  );
}

/**
 * Export Checkpoint…: a format, then a folder to create from a save dialog. An existing folder is
 * replaced only after a modal confirmation (and only if it is empty or an earlier export).
 */
export async function exportCommand(
  ctx: CommandContext,
  arg?: CheckpointItem | ExportArgs,
): Promise<string | undefined> {
  const args = arg instanceof CheckpointItem ? undefined : arg;
  const checkpoint =
    arg instanceof CheckpointItem
      ? arg.checkpoint.dir
      : (args?.checkpoint ?? (await pickCheckpoint(ctx, 'Export which checkpoint?')));
  if (!checkpoint) return undefined;
  const format =
    args?.format ??
    (await vscode.window.showQuickPick(FORMAT_ITEMS, { title: 'Export checkpoint as' }))?.format;
  if (!format || !EXPORT_FORMATS.includes(format)) return undefined;
  const run = path.basename(path.dirname(path.dirname(checkpoint)));
  const suggested = path.join(
    path.dirname(path.dirname(path.dirname(path.dirname(checkpoint)))),
    `${run}-${path.basename(checkpoint)}-${format}`,
  );
  const out =
    args?.out ??
    (
      await vscode.window.showSaveDialog({
        title: `Export ${path.basename(checkpoint)} as ${format} (a folder is created)`,
        defaultUri: vscode.Uri.file(suggested),
        saveLabel: 'Export',
      })
    )?.fsPath;
  if (!out) return undefined;
  let overwrite = args?.overwrite ?? false;
  if (
    !overwrite &&
    fs.existsSync(out) &&
    !(fs.statSync(out).isDirectory() && fs.readdirSync(out).length === 0)
  ) {
    const ok = await vscode.window.showWarningMessage(
      `${out} already exists. Replace it with this export?`,
      { modal: true },
      'Replace',
    );
    if (ok !== 'Replace') return undefined;
    overwrite = true;
  }
  const r = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Exporting ${path.basename(checkpoint)} as ${format}…`,
    },
    () => runExport(ctx, checkpoint, format, out, overwrite),
  );
  ctx.log.info(`exported ${checkpoint} as ${format}: ${r.join(', ')}`);
  if (!args)
    void vscode.window.showInformationMessage(`Exported to ${out}`, 'Reveal').then((c) => {
      if (c === 'Reveal') void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(r[0]));
    });
  return out;
}
