import * as path from 'path';
import * as vscode from 'vscode';
import { ConflictChoice, UnpackReport, unpackSample } from '../sample/unpack';
import type { CommandContext } from './context';

/** The walkthrough's id as VS Code knows it: publisher.name#id from package.json. */
export const WALKTHROUGH_ID = 'seqlab.seqlab#getStarted';

export async function getStartedCommand(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH_ID, false);
}

/** Arguments for unpacking without prompts (tests, other extensions). */
export interface UnpackArgs {
  folder: string;
  /** What to do with taken names; without it the user is asked. */
  ifTaken?: ConflictChoice | 'cancel';
}

const RENAME = 'Keep Both (Rename)';
const SKIP = 'Skip Them';

async function askAboutConflicts(folder: string, conflicts: string[]): Promise<ConflictChoice | undefined> {
  const shown =
    conflicts.slice(0, 5).join(', ') + (conflicts.length > 5 ? `, and ${conflicts.length - 5} more` : '');
  const pick = await vscode.window.showWarningMessage(
    `${conflicts.length === 1 ? 'A file' : `${conflicts.length} files`} of the sample already exist in ${folder}: ${shown}. SeqLab never overwrites them.`,
    {
      modal: true,
      detail: `"${RENAME}" writes the sample's copies next to yours as "name (2).ext"; "${SKIP}" leaves them out.`,
    },
    RENAME,
    SKIP,
  );
  return pick === RENAME ? 'rename' : pick === SKIP ? 'skip' : undefined;
}

/** Copies the bundled sample (media/sample) into a folder the user picks, then offers to train on it. */
export async function unpackSampleCommand(
  ctx: CommandContext,
  args?: UnpackArgs,
): Promise<(UnpackReport & { folder: string }) | undefined> {
  const folder =
    args?.folder ??
    (
      await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        canSelectMany: false,
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
        openLabel: 'Unpack the Sample Here',
        title: 'SeqLab: unpack the sample corpus into which folder?',
      })
    )?.[0]?.fsPath;
  if (!folder) return undefined;
  const source = vscode.Uri.joinPath(ctx.extension.extensionUri, 'media', 'sample').fsPath;
  const report = await unpackSample(source, folder, async (conflicts) =>
    args?.ifTaken
      ? args.ifTaken === 'cancel'
        ? undefined
        : args.ifTaken
      : askAboutConflicts(folder, conflicts),
  );
  const text = path.join(folder, 'text');
  ctx.log.info(
    `sample → ${folder}: ${report.written.length} written, ${report.renamed.length} renamed, ${report.skipped.length} skipped${report.cancelled ? ' (cancelled)' : ''}`,
  );
  if (report.cancelled) return { ...report, folder };
  const inWorkspace = !!vscode.workspace.getWorkspaceFolder(vscode.Uri.file(folder));
  const buttons = ['Train on Sample Text', ...(inWorkspace ? [] : ['Open Folder'])];
  void vscode.window
    .showInformationMessage(
      `SeqLab: the sample is in ${folder} (${report.written.length} files${report.skipped.length ? `, ${report.skipped.length} skipped` : ''}). Its text/ folder trains a tiny model in seconds.`,
      ...buttons,
    )
    .then((b) => {
      if (b === 'Train on Sample Text')
        void vscode.commands.executeCommand('seqlab.train', { folder: text, preset: 'tiny' });
      if (b === 'Open Folder')
        void vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(folder));
    });
  return { ...report, folder };
}
