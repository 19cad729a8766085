import * as path from 'path';
import * as vscode from 'vscode';
import { CompletionClient } from './client';
import type { CompletionToHost } from './protocol';

/** The workspace-state key under which the chosen completion checkpoint is remembered. */
export const COMPLETION_KEY = 'seqlab.completionCheckpoint';

/** One completion as the worker delivered it: the items, the steps it re-read and its time in ms. */
export type CompletionResult = Pick<
  Extract<CompletionToHost, { type: 'result' }>,
  'items' | 'syncSteps' | 'ms' | 'mixture'
>;

/**
 * Which checkpoint completes in this workspace, whether completion is on, and the status-bar item
 * that shows both. A checkpoint that disappears or is damaged turns completion off with one
 * message, until the user picks a checkpoint again.
 */
export class CompletionController implements vscode.Disposable {
  readonly client: CompletionClient;
  private readonly item = vscode.window.createStatusBarItem(
    'seqlab.completion',
    vscode.StatusBarAlignment.Right,
    100,
  );
  private failure?: string;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly completed = new vscode.EventEmitter<CompletionResult>();
  private readonly warned = new vscode.EventEmitter<string>();
  /** Each completion the worker delivered, with what it cost. */
  readonly onDidComplete = this.completed.event;
  /** Each warning shown to the user about completion, as shown. */
  readonly onDidWarn = this.warned.event;
  private readonly noticed = new vscode.EventEmitter<string>();
  /** Each notice of the completion worker written to the output channel (the n-gram mixture's state). */
  readonly onDidNotice = this.noticed.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    workerPath: string,
    private readonly log: vscode.LogOutputChannel,
    private readonly onModelChange: () => void,
  ) {
    this.client = new CompletionClient(workerPath);
    this.client.on('log', (l: string) => log.warn(l));
    this.client.on('notice', (level: 'info' | 'warn', m: string) => {
      if (level === 'warn') log.warn(m);
      else log.info(m);
      this.noticed.fire(m);
    });
    this.item.name = 'SeqLab Completion';
    this.item.command = 'seqlab.toggleCompletion';
    this.disposables.push(
      this.item,
      this.completed,
      this.warned,
      this.noticed,
      vscode.workspace.onDidChangeConfiguration(
        (e) => e.affectsConfiguration('seqlab.completion') && this.paint(),
      ),
      vscode.workspace.onDidCloseTextDocument((d) => this.client.forget(d.uri.toString())),
    );
    this.paint();
  }

  get checkpoint(): string | undefined {
    return this.failure ? undefined : this.context.workspaceState.get<string>(COMPLETION_KEY);
  }

  get enabled(): boolean {
    return vscode.workspace.getConfiguration('seqlab.completion').get<boolean>('enabled', true);
  }

  async use(dir: string): Promise<void> {
    this.failure = undefined;
    await this.context.workspaceState.update(COMPLETION_KEY, dir);
    this.paint();
    this.onModelChange();
  }

  /** Flips `seqlab.completion.enabled` where the user would look for it: the workspace's settings. */
  async toggle(): Promise<boolean> {
    const on = !this.enabled;
    const target = vscode.workspace.workspaceFolders?.length
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration('seqlab.completion').update('enabled', on, target);
    this.paint();
    return on;
  }

  /** A checkpoint deleted from the tree: stop using it without waiting for the next keystroke. */
  async removed(dir: string): Promise<void> {
    if (this.context.workspaceState.get<string>(COMPLETION_KEY) !== dir) return;
    await this.fail(`the checkpoint ${path.basename(dir)} was deleted`);
  }

  /** A completion delivered to the editor: traced to the log, and announced to listeners. */
  delivered(result: CompletionResult): void {
    this.log.trace(
      `completion: ${result.items.length} item(s), ${result.syncSteps} step(s) re-read, ${result.ms.toFixed(2)} ms in the worker${result.mixture ? ' (model + n-gram)' : ''}`,
    );
    this.completed.fire(result);
  }

  /** Handles a worker failure: only the first failure for a checkpoint reaches the user. */
  async handle(reply: Extract<CompletionToHost, { type: 'failed' }>): Promise<void> {
    if (reply.failure === 'internal') {
      this.log.error(`completion: ${reply.message}`);
      return;
    }
    const dir = this.context.workspaceState.get<string>(COMPLETION_KEY);
    if (!dir || this.failure) return;
    await this.fail(
      reply.failure === 'gone'
        ? `the checkpoint ${path.basename(dir)} no longer exists (${dir})`
        : `the checkpoint ${path.basename(dir)} cannot be read: ${reply.message}`,
    );
  }

  private async fail(why: string): Promise<void> {
    this.failure = why;
    await this.context.workspaceState.update(COMPLETION_KEY, undefined);
    this.log.warn(`completion off: ${why}`);
    this.paint();
    this.onModelChange();
    const pick = 'Choose Checkpoint…';
    const msg = `SeqLab: inline completion is off because ${why}. Pick another model with "SeqLab: Use Checkpoint for Completion".`;
    this.warned.fire(msg);
    void vscode.window
      .showWarningMessage(msg, pick)
      .then((a) => a === pick && vscode.commands.executeCommand('seqlab.useForCompletion'));
  }

  paint(): void {
    const dir = this.context.workspaceState.get<string>(COMPLETION_KEY);
    if (this.failure) {
      this.item.text = '$(warning) SeqLab';
      this.item.tooltip = `Inline completion is off: ${this.failure}. Pick a checkpoint with "SeqLab: Use Checkpoint for Completion".`;
      this.item.command = 'seqlab.useForCompletion';
      this.item.show();
      return;
    }
    if (!dir) {
      this.item.hide();
      return;
    }
    const name = `${path.basename(path.dirname(path.dirname(dir)))}/${path.basename(dir)}`;
    const on = this.enabled;
    this.item.command = 'seqlab.toggleCompletion';
    this.item.text = on ? `$(sparkle) ${name}` : `$(circle-slash) ${name}`;
    this.item.tooltip = `SeqLab inline completion is ${on ? 'on' : 'off'}, with checkpoint ${dir}. Click to turn it ${on ? 'off' : 'on'}.`;
    this.item.show();
  }

  dispose(): void {
    this.client.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
