import * as vscode from 'vscode';
import type { SessionManager } from '../training/sessionManager';
import type { CheckpointTreeProvider } from '../views/checkpointTree';
import type { CompletionController } from '../completion/controller';
import type { DashboardPanel } from '../views/dashboardPanel';

/** What the command handlers share; built once in extension.ts. */
export interface CommandContext {
  extension: vscode.ExtensionContext;
  sessions: SessionManager;
  tree: CheckpointTreeProvider;
  dashboard: DashboardPanel;
  log: vscode.LogOutputChannel;
  completion: CompletionController;
}

/** Training writes files and spends CPU on the user's data: only in trusted workspaces. */
export function requireTrust(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(
    `SeqLab: ${what} is off in untrusted workspaces (restricted mode). Trust this workspace (command "Workspaces: Manage Workspace Trust") to use it.`,
  );
  return false;
}
