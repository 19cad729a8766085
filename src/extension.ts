import { forecastFileCommand, trainForecasterCommand } from './commands/forecast';
import {
  evaluateTranslatorCommand,
  summarizeSelectionCommand,
  trainTranslatorCommand,
  translateSelectionCommand,
} from './commands/seq2seq';
import * as vscode from 'vscode';
import { describeError } from './engine/errors';
import {
  deleteCommand,
  evaluateCommand,
  generateCommand,
  revealCommand,
  useForCompletionCommand,
} from './commands/checkpoints';
import {
  classifyFilesCommand,
  classifySelectionCommand,
  evaluateClassifierCommand,
  finetuneAsClassifierCommand,
  trainClassifierCommand,
} from './commands/classify';
import { compareCommand } from './commands/compare';
import { exportCommand } from './commands/export';
import { sweepCommand } from './commands/sweep';
import { CommandContext } from './commands/context';
import { getStartedCommand, unpackSampleCommand } from './commands/getStarted';
import { CompletionController } from './completion/controller';
import { SeqLabInlineProvider } from './completion/inlineProvider';
import { finetuneCommand, resumeCommand, stopCommand, trainCommand } from './commands/training';
import { SessionManager } from './training/sessionManager';
import { CheckpointItem, CheckpointTreeProvider, RunItem } from './views/checkpointTree';
import { DashboardPanel } from './views/dashboardPanel';
import { TrainingStatusBar } from './views/statusBar';
import { inspectColorByCommand, inspectModelCommand } from './commands/inspect';
import { InspectController } from './inspect/controller';

/** What activate returns: used by the integration tests and open to other extensions. */
export interface SeqLabApi {
  sessions: SessionManager;
  tree: CheckpointTreeProvider;
  activationMs: number;
  /** Fires with each failure message a command showed to the user, as shown. */
  onDidShowError: vscode.Event<string>;
  completion: { controller: CompletionController; provider: SeqLabInlineProvider };
  inspect: InspectController;
}

let sessions: SessionManager | undefined;

export function activate(context: vscode.ExtensionContext): SeqLabApi {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('SeqLab', { log: true });
  sessions = new SessionManager(vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath);
  sessions.on('log', (l: string) => log.warn(l));
  const completion = new CompletionController(
    context,
    vscode.Uri.joinPath(context.extensionUri, 'dist', 'completionWorker.js').fsPath,
    log,
    // Only called after activation, once `tree` below exists.
    () => tree.refresh(),
  );
  const provider = new SeqLabInlineProvider(completion);
  const tree = new CheckpointTreeProvider(sessions, () => completion.checkpoint);
  const dashboard = new DashboardPanel(context.extensionUri, sessions, tree, log);
  const inspect = new InspectController(
    context.extensionUri,
    vscode.Uri.joinPath(context.extensionUri, 'dist', 'inspectWorker.js').fsPath,
    log,
  );
  const shownErrors = new vscode.EventEmitter<string>();
  const ctx: CommandContext = { extension: context, sessions, tree, dashboard, log, completion };
  const view = vscode.window.createTreeView('seqlab.checkpoints', {
    treeDataProvider: tree,
    showCollapseAll: true,
  });
  tree.view = view;

  // Every failure reaches the user as one message naming what, where and what to do.
  const register = (id: string, fn: (...args: never[]) => unknown) =>
    vscode.commands.registerCommand(id, async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        const msg = describeError(err);
        log.error(`${id}: ${msg}`);
        void vscode.window.showErrorMessage(`SeqLab: ${msg}`);
        shownErrors.fire(msg);
        return undefined;
      }
    });

  context.subscriptions.push(
    log,
    shownErrors,
    view,
    tree,
    dashboard,
    new TrainingStatusBar(sessions),
    register('seqlab.train', (a?: Parameters<typeof trainCommand>[1]) => trainCommand(ctx, a)),
    register('seqlab.compareCells', (a?: Parameters<typeof compareCommand>[1]) => compareCommand(ctx, a)),
    register('seqlab.startSweep', (a?: Parameters<typeof sweepCommand>[1]) => sweepCommand(ctx, a)),
    register('seqlab.finetune', (a?: Parameters<typeof finetuneCommand>[1]) => finetuneCommand(ctx, a)),
    register('seqlab.resume', (a?: Parameters<typeof resumeCommand>[1]) => resumeCommand(ctx, a)),
    register('seqlab.stop', (a?: Parameters<typeof stopCommand>[1]) => stopCommand(ctx, a)),
    register('seqlab.generate', (a?: Parameters<typeof generateCommand>[1]) => generateCommand(ctx, a)),
    register('seqlab.evaluate', (a?: Parameters<typeof evaluateCommand>[1]) => evaluateCommand(ctx, a)),
    register('seqlab.openDashboard', (a?: RunItem | CheckpointItem | { runDir?: string }) =>
      dashboard.open(a instanceof RunItem || a instanceof CheckpointItem ? a.run.dir : a?.runDir),
    ),
    register('seqlab.useForCompletion', (a?: Parameters<typeof useForCompletionCommand>[1]) =>
      useForCompletionCommand(ctx, a),
    ),
    register('seqlab.toggleCompletion', () => completion.toggle()),
    register('seqlab.revealCheckpoint', (a?: Parameters<typeof revealCommand>[1]) => revealCommand(ctx, a)),
    register('seqlab.exportCheckpoint', (a?: Parameters<typeof exportCommand>[1]) => exportCommand(ctx, a)),
    register('seqlab.deleteCheckpoint', (a?: Parameters<typeof deleteCommand>[1]) => deleteCommand(ctx, a)),
    register('seqlab.refresh', () => tree.refresh()),
    // Classifiers
    register('seqlab.trainClassifier', (a?: Parameters<typeof trainClassifierCommand>[1]) =>
      trainClassifierCommand(ctx, a),
    ),
    register('seqlab.finetuneClassifier', (a?: Parameters<typeof finetuneAsClassifierCommand>[1]) =>
      finetuneAsClassifierCommand(ctx, a),
    ),
    register('seqlab.classifySelection', (a?: Parameters<typeof classifySelectionCommand>[1]) =>
      classifySelectionCommand(ctx, a),
    ),
    register('seqlab.classifyFiles', (a?: Parameters<typeof classifyFilesCommand>[1]) =>
      classifyFilesCommand(ctx, a),
    ),
    register('seqlab.evaluateClassifier', (a?: Parameters<typeof evaluateClassifierCommand>[1]) =>
      evaluateClassifierCommand(ctx, a),
    ),
    register('seqlab.trainForecaster', (a?: Parameters<typeof trainForecasterCommand>[1]) =>
      trainForecasterCommand(ctx, a),
    ),
    register('seqlab.forecastFile', (a?: Parameters<typeof forecastFileCommand>[1]) =>
      forecastFileCommand(ctx, a),
    ),
    // Sequence to sequence
    register('seqlab.trainTranslator', (a?: Parameters<typeof trainTranslatorCommand>[1]) =>
      trainTranslatorCommand(ctx, a),
    ),
    register('seqlab.translateSelection', (a?: Parameters<typeof translateSelectionCommand>[1]) =>
      translateSelectionCommand(ctx, a),
    ),
    register('seqlab.summarizeSelection', (a?: Parameters<typeof summarizeSelectionCommand>[1]) =>
      summarizeSelectionCommand(ctx, a),
    ),
    register('seqlab.evaluateTranslator', (a?: Parameters<typeof evaluateTranslatorCommand>[1]) =>
      evaluateTranslatorCommand(ctx, a),
    ),
    register('seqlab.getStarted', () => getStartedCommand()),
    register('seqlab.unpackSample', (a?: Parameters<typeof unpackSampleCommand>[1]) =>
      unpackSampleCommand(ctx, a),
    ),
    register('seqlab.inspectModel', (a?: Parameters<typeof inspectModelCommand>[2]) =>
      inspectModelCommand(ctx, inspect, a),
    ),
    register('seqlab.inspectColorBy', (a?: { unit?: string }) => inspectColorByCommand(inspect, a)),
    register('seqlab.inspectStop', () => inspect.stop()),
    inspect,
    vscode.workspace.onDidGrantWorkspaceTrust(() => tree.refresh()),
    completion,
    vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, provider),
  );
  tree.refresh();
  const activationMs = performance.now() - t0;
  log.info(`activated in ${activationMs.toFixed(1)} ms`);
  return {
    sessions,
    tree,
    activationMs,
    onDidShowError: shownErrors.event,
    completion: { controller: completion, provider },
    inspect,
  };
}

export async function deactivate(): Promise<void> {
  // Stop saves a checkpoint first; after a grace period the workers are ended.
  await sessions?.dispose(4000);
}
