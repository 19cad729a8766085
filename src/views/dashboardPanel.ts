import * as path from 'path';
import * as vscode from 'vscode';
import { webviewPage } from './webviewPage';
import type { TrainEvent } from '../engine/events';
import { readMetricsText, runPaths, runTimeLabel } from '../engine/runFolder';
import { HostMessage, parseWebviewMessage, RunNotes, RunSummary, SeriesPatch } from '../dashboard/protocol';
import { experimentFields, runSeries } from '../dashboard/runRows';
import { addEvent, emptyPatch, patchFromJsonl } from '../dashboard/series';
import { stepsCsv } from '../dashboard/stepsCsv';
import { updateAnnotations } from '../engine/runFolder';
import type { RunInfo } from '../runs/runStore';
import type { SessionManager, TrainingSession } from '../training/sessionManager';
import type { CheckpointTreeProvider } from './checkpointTree';

const VIEW_TYPE = 'seqlab.dashboard';
/** Live events are forwarded in batches: at most 5 posts a second, whatever the step rate. */
const FLUSH_MS = 200;

/**
 * The training dashboard: one webview panel per window, restored after a reload by a
 * WebviewPanelSerializer. The webview only ever sees data through the typed protocol, and what
 * it sends back is validated before anything is done with it.
 */
export class DashboardPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private selected: string[] = [];
  /** open() was asked for particular runs: the next 'ready' keeps them. */
  private requested = false;
  private readonly sent = new Set<string>();
  /** Selected runs waiting to be read and sent, one per turn of the event loop. */
  private readonly queue: string[] = [];
  private pumping = false;
  /** Reading the listed runs' series ahead of their selection (see warm). */
  private warming = false;
  private readonly pending = new Map<string, SeriesPatch>();
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sessions: SessionManager,
    private readonly tree: CheckpointTreeProvider,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          const sel = (state as { selected?: unknown })?.selected;
          this.selected = Array.isArray(sel) ? sel.filter((s): s is string => typeof s === 'string') : [];
          this.adopt(panel);
        },
      }),
    );
    sessions.on('event', (s: TrainingSession, e: TrainEvent) => this.onEvent(s, e));
    sessions.on('change', () => this.postRuns());
    this.disposables.push(tree.onDidChangeTreeData(() => this.postRuns()));
  }

  /** Opens (or reveals) the panel, focused on a run if given. */
  open(runDir?: string | string[]): vscode.WebviewPanel {
    if (runDir) {
      this.selected = Array.isArray(runDir) ? runDir : [runDir];
      this.requested = true;
    } else if (this.selected.length === 0) this.selected = this.defaultSelection();
    if (this.panel) {
      this.panel.reveal();
      this.postRuns();
      this.sendSelected();
      return this.panel;
    }
    this.adopt(
      vscode.window.createWebviewPanel(
        VIEW_TYPE,
        'SeqLab Dashboard',
        vscode.ViewColumn.Active,
        this.options(),
      ),
    );
    return this.panel!;
  }

  private options(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      localResourceRoots: [
        vscode.Uri.joinPath(this.extensionUri, 'dist'),
        vscode.Uri.joinPath(this.extensionUri, 'media'),
      ],
    };
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.sent.clear();
    panel.webview.options = this.options();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'seqlab.svg');
    panel.webview.html = this.html(panel.webview);
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.sent.clear();
    });
    panel.webview.onDidReceiveMessage((raw: unknown) => {
      const m = parseWebviewMessage(raw);
      if (!m) {
        this.log.warn(`dashboard: dropped a malformed message ${JSON.stringify(raw)?.slice(0, 200)}`);
        return;
      }
      switch (m.type) {
        case 'ready': {
          this.sent.clear();
          // An explicit request (open on runs) wins over what the webview saved, which wins over
          // the default (what is training, else the newest run).
          const saved = m.selected.filter((id) => this.runById(id));
          if (!this.requested && saved.length) this.selected = saved;
          this.requested = false;
          if (this.selected.length === 0) this.selected = this.defaultSelection();
          this.postRuns();
          this.sendSelected();
          break;
        }
        case 'select':
          this.selected = m.runIds.filter((id) => this.runById(id));
          this.sendSelected();
          break;
        case 'stopRun':
          this.sessions.findByRun(m.runId)?.stop();
          break;
        case 'openCheckpoint':
          void this.tree.reveal(m.path);
          break;
        case 'saveFile':
          void this.save(m.name, m.kind, m.data);
          break;
        case 'annotate':
          this.annotate(m.runId, m.notes);
          break;
        case 'exportSteps':
          this.exportSteps(m.runs, m.smoothing);
          break;
      }
    });
  }

  /** The step CSV of runs the webview holds thinned: every row, read again from metrics.jsonl. */
  private exportSteps(runs: { id: string; label: string }[], smoothing: number): void {
    const listed = runs.filter((r) => this.runById(r.id));
    const data = stepsCsv(
      listed.map((r) => ({ label: r.label, p: patchFromJsonl(r.id, this.readMetrics(r.id)) })),
      smoothing,
    );
    void this.save('seqlab-runs.csv', 'csv', data);
  }

  private readMetrics(runDir: string): string {
    try {
      return readMetricsText(runPaths(runDir).metrics);
    } catch {
      return '';
    }
  }

  /** Exports from the webview go through a save dialog: nothing is overwritten without asking. */
  /** Rename, colour, tags, notes: into the run's annotations.json, then the table shows them. */
  private annotate(runId: string, notes: RunNotes): void {
    if (!this.runById(runId)) {
      this.log.warn(`dashboard: annotate for a run not listed: ${runId}`);
      return;
    }
    try {
      updateAnnotations(runId, notes);
    } catch (err) {
      void vscode.window.showErrorMessage(
        `SeqLab: could not save the run's notes: ${(err as Error).message}`,
      );
    }
    this.postRuns();
  }

  private async save(name: string, kind: 'csv' | 'png' | 'json', data: string): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
      filters: kind === 'csv' ? { CSV: ['csv'] } : kind === 'json' ? { JSON: ['json'] } : { PNG: ['png'] },
      title: `SeqLab: save ${kind.toUpperCase()}`,
    });
    if (!target) return;
    try {
      await vscode.workspace.fs.writeFile(
        target,
        kind === 'png' ? Buffer.from(data, 'base64') : Buffer.from(data, 'utf8'),
      );
      this.log.info(`dashboard: saved ${target.fsPath}`);
    } catch (err) {
      void vscode.window.showErrorMessage(
        `SeqLab: could not save ${target.fsPath}: ${(err as Error).message}`,
      );
    }
  }

  private allRuns(): RunInfo[] {
    return this.tree.allRuns().flatMap((r) => r.runs.filter((x) => !x.compare && !x.sweep));
  }

  private runById(id: string): RunInfo | undefined {
    return this.allRuns().find((r) => r.dir === id);
  }

  /** What is training, else the newest run. */
  private defaultSelection(): string[] {
    const live = this.sessions
      .active()
      .map((s) => s.runDir)
      .filter((d): d is string => !!d);
    if (live.length) return live;
    const newest = this.allRuns()[0];
    return newest ? [newest.dir] : [];
  }

  private post(m: HostMessage): void {
    void this.panel?.webview.postMessage(m);
  }

  private postRuns(): void {
    if (!this.panel) return;
    const runs: RunSummary[] = this.allRuns().map((r) => ({
      id: r.dir,
      label: r.config
        ? `${r.config.model.cell.toUpperCase()} ${r.config.model.layers}×${r.config.model.hidden} · ${runTimeLabel(r.id)}`
        : r.id,
      cell: r.config?.model.cell ?? '?',
      hidden: r.config?.model.hidden ?? 0,
      layers: r.config?.model.layers ?? 0,
      tokenizer: r.config?.train.tokenizer ?? '?',
      parent: r.config?.parent
        ? path.basename(path.dirname(path.dirname(r.config.parent.checkpoint))) +
          '/' +
          path.basename(r.config.parent.checkpoint)
        : null,
      state: r.status?.pruned ? 'pruned' : r.state,
      clip: r.config?.train.clip ?? 0,
      ...experimentFields(r.dir, r.config, r.status),
    }));
    const training = this.sessions
      .active()
      .map((s) => s.runDir)
      .filter((d): d is string => !!d);
    this.post({ type: 'runs', runs, selected: this.selected, training });
    this.warm();
  }

  /**
   * The table's rows carry only each run's summary; its curves are parsed when it is charted. While
   * nothing is being sent, the listed runs' curves are read ahead, one run per turn of the event
   * loop (a read of a run already cached costs a stat), so that charting many runs soon after the
   * table shows finds most of them read already.
   */
  private warm(): void {
    if (this.warming) return;
    this.warming = true;
    // Not the runs training now: their files grow, so a read ahead would be stale at once.
    const live = new Set(this.sessions.active().map((s) => s.runDir));
    const ids = this.allRuns()
      .map((r) => r.dir)
      .filter((d) => !live.has(d));
    const next = () => {
      if (!this.panel) return void (this.warming = false);
      if (this.pumping) return void setTimeout(next, 100);
      const id = ids.shift();
      if (id === undefined) return void (this.warming = false);
      runSeries(id);
      setImmediate(next);
    };
    setImmediate(next);
  }

  /**
   * Sends each newly selected run's history once, from its metrics.jsonl, a run per turn of the
   * event loop: the table and the first charts show while the rest are read, and the extension
   * host is never blocked for all of them at once. Long runs go thinned (sampleSteps).
   */
  private sendSelected(): void {
    for (const id of this.selected) if (!this.sent.has(id) && !this.queue.includes(id)) this.queue.push(id);
    if (this.pumping) return;
    this.pumping = true;
    const next = () => {
      // Runs the table has read come from its cache at once; others are parsed, ~50 ms at a time.
      const until = Date.now() + 50;
      while (Date.now() < until) {
        const id = this.queue.shift();
        if (id === undefined || !this.panel) {
          this.queue.length = 0;
          this.pumping = false;
          return;
        }
        // Deselected while waiting, or sent meanwhile (a reload's 'ready' clears `sent`, and requeues).
        if (!this.selected.includes(id) || this.sent.has(id)) continue;
        // Read and posted in one go: live events after this read are pending and follow it.
        const patch = runSeries(id);
        this.sent.add(id);
        this.pending.delete(id);
        this.post({ type: 'series', patch });
      }
      setImmediate(next);
    };
    next();
  }

  private onEvent(s: TrainingSession, e: TrainEvent): void {
    if (e.type === 'start') {
      if (!this.selected.includes(e.runDir)) this.selected = [...this.selected, e.runDir];
      // A resume retrains the steps after its checkpoint: the webview may already hold them from
      // before a crash, so the run is sent again whole, from metrics.jsonl, whose reader keeps the
      // resumed history and drops the abandoned steps (series never step back in x).
      if (e.resumedFromStep > 0) {
        this.sent.delete(e.runDir);
        this.pending.delete(e.runDir);
      }
      // The new run folder must be in the list before the webview can select it.
      this.tree.refresh();
      return;
    }
    const id = s.runDir;
    if (!this.panel || !id || !this.selected.includes(id)) return;
    if (!this.sent.has(id)) {
      this.sendSelected();
      return;
    }
    let p = this.pending.get(id);
    if (!p) this.pending.set(id, (p = emptyPatch(id, false)));
    addEvent(p, e);
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    this.timer = undefined;
    for (const p of this.pending.values()) this.post({ type: 'series', patch: p });
    this.pending.clear();
  }

  private html(webview: vscode.Webview): string {
    return webviewPage(webview, this.extensionUri, 'webview', 'SeqLab Dashboard');
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.disposables.forEach((d) => d.dispose());
    this.panel?.dispose();
  }
}
