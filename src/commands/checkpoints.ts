import type { BackendChoice } from '../engine/wasm/backendNames';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { readManifest } from '../engine/checkpoint';
import { SeqLabError } from '../engine/errors';
import type { FolderEvaluation } from '../engine/evaluateFolder';
import { CheckpointItem } from '../views/checkpointTree';
import { CommandContext } from './context';
import { pickCheckpoint } from './training';
import { pickFolder } from './prompts';

type CheckpointArg = CheckpointItem | { checkpoint: string };

async function checkpointOf(
  ctx: CommandContext,
  arg: CheckpointArg | undefined,
  title: string,
): Promise<string | undefined> {
  const dir =
    arg instanceof CheckpointItem
      ? arg.checkpoint.dir
      : (arg?.checkpoint ?? (await pickCheckpoint(ctx, title)));
  if (dir && !fs.existsSync(dir))
    throw new SeqLabError(
      'E_CHECKPOINT',
      `Checkpoint ${dir} no longer exists`,
      dir,
      'It was deleted or moved; pick another one in the SeqLab view.',
    );
  return dir;
}

export interface GenerateArgs {
  checkpoint: string;
  prime?: string;
  length?: number;
  temperature?: number;
  seed?: number;
  /** Open the text in an untitled editor (default true). */
  open?: boolean;
}

/** Samples in a worker (a long sample would block the editor) and opens the text. */
export async function generateCommand(
  ctx: CommandContext,
  arg?: CheckpointItem | GenerateArgs,
): Promise<string | undefined> {
  const checkpoint = await checkpointOf(ctx, arg, 'Generate text from which checkpoint?');
  if (!checkpoint) return undefined;
  const args = arg instanceof CheckpointItem ? undefined : arg;
  const editor = vscode.window.activeTextEditor;
  const selection = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : '';
  const prime = args?.prime ?? selection;
  const o = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'SeqLab: generating…' },
    () =>
      ctx.sessions.run({
        kind: 'sample',
        checkpoint,
        prime,
        length: args?.length ?? 400,
        temperature: args?.temperature ?? 0.8,
        seed: args?.seed ?? Date.now() % 100000,
      }),
  );
  if (o.status === 'failed' || o.text === undefined)
    throw new SeqLabError('E_GENERATE', `Could not generate from ${checkpoint}: ${o.error}`, checkpoint);
  const text = prime + o.text;
  if (args?.open !== false) {
    const doc = await vscode.workspace.openTextDocument({ content: text, language: 'plaintext' });
    await vscode.window.showTextDocument(doc, { preview: false });
  }
  return text;
}

export async function evaluateCommand(
  ctx: CommandContext,
  arg?: CheckpointItem | { checkpoint: string; folder?: string; quiet?: boolean },
): Promise<FolderEvaluation | undefined> {
  const checkpoint = await checkpointOf(ctx, arg, 'Evaluate which checkpoint?');
  if (!checkpoint) return undefined;
  const args = arg instanceof CheckpointItem ? undefined : arg;
  const folder = args?.folder ?? (await pickFolder('SeqLab: evaluate on which folder?'))?.fsPath;
  if (!folder) return undefined;
  const backend = vscode.workspace.getConfiguration('seqlab').get<BackendChoice>('backend') ?? 'wasm';
  const o = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `SeqLab: evaluating on ${path.basename(folder)}…`,
    },
    () => ctx.sessions.run({ kind: 'eval', checkpoint, folder, backend }),
  );
  if (o.status === 'failed' || !o.evaluation)
    throw new SeqLabError(o.errorCode ?? 'E_EVAL', o.error ?? 'evaluation failed', folder);
  const r = o.evaluation;
  const line = `loss ${r.loss.toFixed(4)} · perplexity ${r.perplexity.toFixed(2)} · ${r.bpc.toFixed(3)} bits/char over ${r.tokens.toLocaleString('en-US')} tokens${r.unknownTokens ? ` (${r.unknownTokens} unknown)` : ''}`;
  ctx.log.info(`evaluate ${checkpoint} on ${folder}: ${line}`);
  if (!args?.quiet)
    void vscode.window.showInformationMessage(
      `SeqLab: ${path.basename(checkpoint)} on ${path.basename(folder)}: ${line}`,
    );
  return r;
}

export async function revealCommand(ctx: CommandContext, arg?: CheckpointArg): Promise<void> {
  const dir = await checkpointOf(ctx, arg, 'Reveal which checkpoint?');
  if (!dir) return;
  const uri = vscode.Uri.file(path.join(dir, 'manifest.json'));
  if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
  else await vscode.commands.executeCommand('revealFileInOS', uri);
}

export async function deleteCommand(
  ctx: CommandContext,
  arg?: CheckpointArg & { confirm?: boolean },
): Promise<boolean> {
  const dir = await checkpointOf(ctx, arg, 'Delete which checkpoint?');
  if (!dir) return false;
  if (!(arg instanceof CheckpointItem) && arg?.confirm === false) {
    // programmatic, already confirmed
  } else {
    const ok = await vscode.window.showWarningMessage(
      `Delete checkpoint ${path.basename(dir)} of run ${path.basename(path.dirname(path.dirname(dir)))}? This cannot be undone.`,
      { modal: true },
      'Delete',
    );
    if (ok !== 'Delete') return false;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  await ctx.completion.removed(dir);
  ctx.log.info(`deleted ${dir}`);
  ctx.tree.refresh();
  return true;
}

/** Makes a checkpoint this workspace's completion model (kept per workspace, marked in the tree). */
export async function useForCompletionCommand(
  ctx: CommandContext,
  arg?: CheckpointArg,
): Promise<string | undefined> {
  const dir = await checkpointOf(ctx, arg, 'Use which checkpoint for completion?');
  if (!dir) return undefined;
  readManifest(dir);
  await ctx.completion.use(dir);
  const on = ctx.completion.enabled;
  void vscode.window.showInformationMessage(
    `SeqLab: ${path.basename(dir)} now completes as you type in this workspace${on ? '' : ' (completion is turned off: click its status-bar item to turn it on)'}.`,
  );
  return dir;
}
