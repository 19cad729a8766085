import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { headline, TASK_NOUNS, TaskKind, taskOf } from '../engine/tasks/kinds';
import { CheckpointInfo, listRuns, RunInfo } from '../runs/runStore';

/** The icon of a finished or stopped run of each kind (a running or failed run shows its state). */
const TASK_ICONS: Record<TaskKind, string> = {
  lm: 'pulse',
  classify: 'tag',
  seq2seq: 'arrow-swap',
  forecast: 'graph-line',
};
import type { SessionManager } from '../training/sessionManager';

export class RunItem extends vscode.TreeItem {
  constructor(
    readonly run: RunInfo,
    root: string,
  ) {
    const cfg = run.config;
    super(
      cfg
        ? `${cfg.model.layers}×${cfg.model.cell.toUpperCase()} ${cfg.model.hidden} · ${path.basename(cfg.folder)}`
        : run.id,
      vscode.TreeItemCollapsibleState.Collapsed,
    );
    this.id = `run:${run.dir}`;
    const step = run.status?.step ?? 0;
    const states: Record<string, string> = {
      running: `training · step ${step}`,
      finished: `finished · step ${step}`,
      stopped: `stopped · step ${step}`,
      failed: 'failed',
      interrupted: `interrupted · step ${step}`,
      unknown: '',
    };
    const kind = taskOf(cfg?.train);
    const state = run.status?.pruned ? `pruned at step ${run.status.pruned.step}` : states[run.state];
    this.description = kind === 'lm' ? state : `${TASK_NOUNS[kind]} · ${state}`;
    this.contextValue = `seqlab.run.${run.state}`;
    this.iconPath = new vscode.ThemeIcon(
      run.state === 'running'
        ? 'sync~spin'
        : run.state === 'failed'
          ? 'error'
          : run.state === 'interrupted'
            ? 'debug-pause'
            : TASK_ICONS[kind],
      run.state === 'failed' ? new vscode.ThemeColor('errorForeground') : undefined,
    );
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**Run** \`${run.id}\`\n\n`);
    if (cfg) {
      const t = cfg.train;
      md.appendMarkdown(`Folder: \`${path.relative(root, cfg.folder) || '.'}\`\n\n`);
      md.appendMarkdown(
        `${cfg.model.layers}×${cfg.model.cell} ${cfg.model.hidden}, embedding ${cfg.model.embedding}, dropout ${cfg.model.dropout}, ${t.tokenizer} vocab ${cfg.model.vocabSize}\n\n`,
      );
      md.appendMarkdown(`T ${t.seqLen}, batch ${t.batch}, ${t.optimizer} lr ${t.lr}, clip ${t.clip}\n\n`);
      if (cfg.parent)
        md.appendMarkdown(
          `Fine-tuned from \`${cfg.parent.run ?? ''}/${path.basename(cfg.parent.checkpoint)}\`\n\n`,
        );
    }
    if (run.state === 'interrupted')
      md.appendMarkdown('Cut off by a reload or crash: right-click → **Resume Run**.\n\n');
    if (run.status?.pruned)
      md.appendMarkdown(
        `Pruned by the sweep at step ${run.status.pruned.step}: ${run.status.pruned.reason}\n\n`,
      );
    if (run.error) md.appendMarkdown(`Error: ${run.error}`);
    this.tooltip = md;
  }
}

export class CheckpointItem extends vscode.TreeItem {
  constructor(
    readonly checkpoint: CheckpointInfo,
    readonly run: RunInfo,
    isCompletionModel: boolean,
  ) {
    super(`step ${checkpoint.step.toLocaleString('en-US')}`, vscode.TreeItemCollapsibleState.None);
    this.id = `ckpt:${checkpoint.dir}`;
    const m = checkpoint.manifest;
    if (checkpoint.inProgress) {
      this.description = 'saving…';
      this.iconPath = new vscode.ThemeIcon('loading~spin');
      this.contextValue = 'seqlab.checkpoint.inProgress';
      return;
    }
    if (checkpoint.error) {
      this.description = 'broken';
      this.iconPath = new vscode.ThemeIcon(
        'warning',
        new vscode.ThemeColor('problemsWarningIcon.foreground'),
      );
      this.tooltip = `Broken checkpoint: ${checkpoint.error}`;
      this.contextValue = 'seqlab.checkpoint.broken';
      return;
    }
    const kind = taskOf(m);
    const parts: string[] = [];
    if (kind === 'lm') {
      if (m?.valLoss != null) parts.push(`val ${m.valLoss.toFixed(3)}`);
      if (m?.valBpc != null) parts.push(`${m.valBpc.toFixed(2)} bpc`);
    } else if (m?.metrics) parts.push(headline(kind, m.metrics));
    const tags = [
      checkpoint.isBest ? 'best' : '',
      checkpoint.isLatest ? 'latest' : '',
      isCompletionModel ? 'completion' : '',
    ].filter(Boolean);
    if (tags.length) parts.push(tags.join(', '));
    this.description = parts.join(' · ');
    this.iconPath = new vscode.ThemeIcon(
      isCompletionModel
        ? 'sparkle'
        : checkpoint.isBest
          ? 'star-full'
          : checkpoint.isLatest
            ? 'circle-filled'
            : 'circle-outline',
      checkpoint.isBest ? new vscode.ThemeColor('charts.yellow') : undefined,
    );
    // Language-model menu items match /^seqlab\.checkpoint(\.best)?$/; other kinds add their kind.
    this.contextValue = `seqlab.checkpoint${kind === 'lm' ? '' : `.${kind}`}${checkpoint.isBest ? '.best' : ''}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${checkpoint.name}** of \`${run.id}\`\n\n`);
    if (m) {
      md.appendMarkdown(
        `${m.model.layers}×${m.model.cell} ${m.model.hidden}, embedding ${m.model.embedding}, ${m.tokenizer.kind} vocab ${m.model.vocabSize}\n\n`,
      );
      md.appendMarkdown(
        `Tokens seen ${m.tokensSeen.toLocaleString('en-US')}; saved ${new Date(m.createdAt).toLocaleString()}\n\n`,
      );
      if (m.valLoss != null)
        md.appendMarkdown(
          `Validation loss ${m.valLoss.toFixed(4)}, perplexity ${Math.exp(m.valLoss).toFixed(2)}, ${m.valBpc?.toFixed(3)} bits/char\n\n`,
        );
      if (m.parent) md.appendMarkdown(`Parent: \`${m.parent.checkpoint}\``);
    }
    this.tooltip = md;
  }
}

/** Shown under a fine-tuned run: where it came from. */
export class ParentItem extends vscode.TreeItem {
  constructor(
    readonly parentCheckpoint: string,
    run?: string,
  ) {
    super(`from ${run ?? ''}/${path.basename(parentCheckpoint)}`, vscode.TreeItemCollapsibleState.None);
    this.iconPath = new vscode.ThemeIcon('git-merge');
    this.tooltip = `Fine-tuned from ${parentCheckpoint}`;
    this.contextValue = 'seqlab.parent';
  }
}

/** A compare-cells experiment: its runs are its children; clicking opens the table. */
export class CompareItem extends vscode.TreeItem {
  constructor(readonly run: RunInfo) {
    const spec = run.compare!;
    super(
      `Compare ${spec.runs.map((r) => r.cell.toUpperCase()).join(' · ')} · ${path.basename(spec.folder)}`,
      vscode.TreeItemCollapsibleState.Expanded,
    );
    this.id = `compare:${run.dir}`;
    this.description = `${run.state} · ≈${spec.targetParameters.toLocaleString('en-US')} parameters each`;
    this.iconPath = new vscode.ThemeIcon(run.state === 'running' ? 'sync~spin' : 'beaker');
    this.contextValue = 'seqlab.compare';
    this.tooltip = `Compare-cells experiment ${run.id}: one split and seed, about equal parameter count. Click for the table.`;
    if (run.state !== 'running')
      this.command = {
        command: 'markdown.showPreview',
        title: 'Open table',
        arguments: [vscode.Uri.file(path.join(run.dir, 'compare.md'))],
      };
  }
}

/** A sweep: its runs are its children; clicking opens its table (sweep.md) once there is one. */
export class SweepItem extends vscode.TreeItem {
  constructor(readonly run: RunInfo) {
    const spec = run.sweep!;
    const count = (s: string) => spec.runs.filter((r) => r.state === s).length;
    super(`Sweep ${spec.space} · ${path.basename(spec.folder)}`, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `sweep:${run.dir}`;
    const parts = [`${count('finished')} finished`, `${count('pruned')} pruned`];
    if (count('failed')) parts.push(`${count('failed')} failed`);
    const left = spec.runs.length - count('finished') - count('pruned') - count('failed');
    if (left) parts.push(`${left} to go`);
    this.description = `${run.state} · ${spec.runs.length} runs: ${parts.join(', ')}`;
    this.iconPath = new vscode.ThemeIcon(run.state === 'running' ? 'sync~spin' : 'symbol-array');
    this.contextValue = `seqlab.sweep.${run.state}`;
    this.tooltip = `Sweep ${run.id}: ${spec.mode} over ${spec.space}${spec.seeds > 1 ? ` × ${spec.seeds} seeds` : ''}, pruning ${spec.prune}, ranked by ${spec.metric.name}.${run.state === 'interrupted' || run.state === 'stopped' ? ' Runs left: resume it with seqlab sweep --resume.' : ''}`;
    if (fs.existsSync(path.join(run.dir, 'sweep.md')))
      this.command = {
        command: 'markdown.showPreview',
        title: 'Open table',
        arguments: [vscode.Uri.file(path.join(run.dir, 'sweep.md'))],
      };
  }
}

export type TreeNode = RunItem | CheckpointItem | ParentItem | CompareItem | SweepItem;

/**
 * Runs → checkpoints of every workspace folder's `.seqlab/runs`. Kept current by a file-system
 * watcher (debounced) and by the session manager; unreadable runs or checkpoints show as broken
 * rather than breaking the tree.
 */
export class CheckpointTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private runsCache: { root: string; runs: RunInfo[] }[] | undefined;

  constructor(
    private readonly sessions: SessionManager,
    private readonly completionCheckpoint: () => string | undefined,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/.seqlab/runs/**');
    this.disposables.push(
      watcher,
      watcher.onDidCreate(() => this.refreshSoon()),
      watcher.onDidChange(() => this.refreshSoon()),
      watcher.onDidDelete(() => this.refreshSoon()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()),
    );
    sessions.on('change', () => this.refreshSoon());
    sessions.on('event', (_s: unknown, e: { type: string }) => {
      if (e.type === 'checkpoint' || e.type === 'start') this.refreshSoon();
    });
  }

  refresh(): void {
    this.runsCache = undefined;
    this.changed.fire(undefined);
    void vscode.commands.executeCommand('setContext', 'seqlab.hasRuns', this.allRuns().length > 0);
  }

  private refreshSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 300);
  }

  roots(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  }

  /** Every run in the workspace, newest first, read fresh after each refresh. */
  allRuns(): { root: string; runs: RunInfo[] }[] {
    this.runsCache ??= this.roots().map((root) => ({
      root,
      runs: listRuns(root, (dir) => !!this.sessions.findByRun(dir)),
    }));
    return this.runsCache;
  }

  getTreeItem(e: TreeNode): vscode.TreeItem {
    return e;
  }

  getChildren(e?: TreeNode): TreeNode[] {
    if (!e)
      return this.allRuns().flatMap(({ root, runs }) =>
        runs
          .filter(
            (r) => !r.config?.group || !runs.some((g) => (g.compare || g.sweep) && g.id === r.config!.group),
          )
          .map((r) => (r.compare ? new CompareItem(r) : r.sweep ? new SweepItem(r) : new RunItem(r, root))),
      );
    if (e instanceof CompareItem) {
      const found = this.allRuns().find(({ runs }) => runs.some((r) => r.dir === e.run.dir));
      if (!found) return [];
      const order = e.run.compare!.runs.map((r) => r.runId);
      return found.runs
        .filter((r) => r.config?.group === e.run.id)
        .sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id))
        .map((r) => new RunItem(r, found.root));
    }
    if (e instanceof SweepItem) {
      const found = this.allRuns().find(({ runs }) => runs.some((r) => r.dir === e.run.dir));
      if (!found) return [];
      const order = e.run.sweep!.runs.map((r) => r.runId);
      return found.runs
        .filter((r) => r.config?.group === e.run.id)
        .sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id))
        .map((r) => new RunItem(r, found.root));
    }
    if (e instanceof RunItem) {
      const active = this.completionCheckpoint();
      const out: TreeNode[] = [];
      if (e.run.config?.parent)
        out.push(new ParentItem(e.run.config.parent.checkpoint, e.run.config.parent.run));
      for (const c of e.run.checkpoints) out.push(new CheckpointItem(c, e.run, active === c.dir));
      return out;
    }
    return [];
  }

  getParent(e: TreeNode): RunItem | CompareItem | SweepItem | undefined {
    if (e instanceof RunItem && e.run.config?.group) {
      const group = this.allRuns()
        .flatMap(({ runs }) => runs)
        .find((r) => (r.compare || r.sweep) && r.id === e.run.config!.group);
      return group?.sweep ? new SweepItem(group) : group ? new CompareItem(group) : undefined;
    }
    if (e instanceof CheckpointItem) {
      const root = this.allRuns().find(({ runs }) => runs.some((r) => r.dir === e.run.dir))?.root ?? '';
      return new RunItem(e.run, root);
    }
    return undefined;
  }

  /** Selects a checkpoint in the Checkpoints view (from the dashboard's markers). */
  async reveal(checkpointDir: string): Promise<void> {
    for (const { runs } of this.allRuns())
      for (const run of runs) {
        const c = run.checkpoints.find((x) => x.dir === checkpointDir);
        if (c && this.view) {
          // reveal() on a view that is not showing can resolve without selecting anything.
          if (!this.view.visible) await vscode.commands.executeCommand('workbench.view.extension.seqlab');
          await this.view.reveal(new CheckpointItem(c, run, this.completionCheckpoint() === c.dir), {
            select: true,
            focus: true,
            expand: true,
          });
          return;
        }
      }
    void vscode.window.showInformationMessage(
      `SeqLab: checkpoint ${path.basename(checkpointDir)} is no longer on disk (older checkpoints are pruned).`,
    );
  }

  /** Set once the view exists, so that reveal can select items in it. */
  view: vscode.TreeView<TreeNode> | undefined;

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.disposables.forEach((d) => d.dispose());
    this.changed.dispose();
  }
}
