import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { SeqLabError } from '../engine/errors';
import type { InspectController, Painted } from '../inspect/controller';
import { CheckpointItem } from '../views/checkpointTree';
import { CommandContext, requireTrust } from './context';
import { pickCheckpoint } from './training';

export interface InspectArgs {
  checkpoint?: string;
  /** The document to inspect (default: the active editor's). */
  uri?: vscode.Uri;
}

/** Which model: the one completing in this workspace, or a checkpoint the user picks. */
async function chooseCheckpoint(ctx: CommandContext): Promise<string | undefined> {
  const current = ctx.completion.checkpoint;
  if (!current) return pickCheckpoint(ctx, 'Inspect which checkpoint?');
  const completionItem = {
    label: '$(sparkle) The completion model',
    description: `${path.basename(path.dirname(path.dirname(current)))}/${path.basename(current)}`,
  };
  const other = { label: '$(folder) Choose a checkpoint…', description: '' };
  const pick = await vscode.window.showQuickPick([completionItem, other], {
    title: 'SeqLab: Inspect which model?',
  });
  if (!pick) return undefined;
  return pick === completionItem ? current : pickCheckpoint(ctx, 'Inspect which checkpoint?');
}

/** SeqLab: Inspect Model on This File. */
export async function inspectModelCommand(
  ctx: CommandContext,
  ctl: InspectController,
  arg?: InspectArgs | CheckpointItem,
): Promise<Painted | undefined> {
  if (!requireTrust('Inspecting a model')) return undefined;
  const args = arg instanceof CheckpointItem ? { checkpoint: arg.checkpoint.dir } : arg;
  const doc = args?.uri
    ? await vscode.workspace.openTextDocument(args.uri)
    : vscode.window.activeTextEditor?.document;
  if (!doc)
    throw new SeqLabError(
      'E_NO_EDITOR',
      'No file is open to inspect the model on',
      'the editor',
      'Open a text or code file, then run "SeqLab: Inspect Model on This File".',
    );
  const checkpoint = args?.checkpoint ?? (await chooseCheckpoint(ctx));
  if (!checkpoint) return undefined;
  if (!fs.existsSync(path.join(checkpoint, 'manifest.json')))
    throw new SeqLabError(
      'E_CHECKPOINT',
      `Checkpoint ${checkpoint} no longer exists`,
      checkpoint,
      'It was deleted or moved; pick another one in the SeqLab view.',
    );
  await vscode.window.showTextDocument(doc, { preview: false });
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'SeqLab: inspecting the model…' },
    () => ctl.inspect(doc, checkpoint),
  );
}

/** SeqLab: Colour Inspected File by… (surprisal or a unit such as h1.40). */
export async function inspectColorByCommand(
  ctl: InspectController,
  arg?: { unit?: string },
): Promise<Painted | undefined> {
  if (!ctl.inspectedUri)
    throw new SeqLabError(
      'E_NOT_INSPECTED',
      'No file is being inspected',
      'the editor',
      'Run "SeqLab: Inspect Model on This File" first.',
    );
  let unit = arg?.unit;
  if (unit === undefined) {
    unit = await vscode.window.showInputBox({
      title: 'SeqLab: colour by which unit?',
      prompt: 'A unit such as h0.12 or c1.40 (c: LSTM cell state); empty for the surprise heatmap',
      validateInput: (v) =>
        v === '' || /^[hc]\d+\.\d+$/.test(v.trim()) ? undefined : 'Write h<layer>.<unit>, e.g. h1.40',
    });
    if (unit === undefined) return undefined;
  }
  unit = unit.trim();
  return ctl.colorByUnit(unit ? { kind: 'unit', unit } : { kind: 'surprisal' });
}
