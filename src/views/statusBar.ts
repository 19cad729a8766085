import * as vscode from 'vscode';
import type { TrainEvent } from '../engine/events';
import type { SessionManager, TrainingSession } from '../training/sessionManager';

const fmtRate = (r: number) => (r >= 1000 ? `${(r / 1000).toFixed(1)}k` : `${Math.round(r)}`);

/** Step, loss and tokens/s of the running training; click opens the dashboard. Hidden when idle. */
export class TrainingStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'seqlab.training',
    vscode.StatusBarAlignment.Left,
    50,
  );
  private lastPaint = 0;
  private training = false;

  constructor(private readonly sessions: SessionManager) {
    this.item.name = 'SeqLab Training';
    this.item.command = 'seqlab.openDashboard';
    sessions.on('event', (_s: TrainingSession, e: TrainEvent) => {
      // Repaint at most 4 times a second: a step event can arrive every few milliseconds.
      if (e.type === 'step' && Date.now() - this.lastPaint < 250) return;
      this.paint();
    });
    sessions.on('change', () => this.paint());
  }

  private paint(): void {
    this.lastPaint = Date.now();
    const active = this.sessions.active();
    if (this.training !== active.length > 0) {
      this.training = active.length > 0;
      void vscode.commands.executeCommand('setContext', 'seqlab.isTraining', this.training);
    }
    if (active.length === 0) {
      this.item.hide();
      return;
    }
    const s = active[0];
    const st = s.lastStep;
    const total = s.job.kind === 'train' && s.job.config.steps ? `/${s.job.config.steps}` : '';
    const more = active.length > 1 ? ` (+${active.length - 1})` : '';
    const queued = this.sessions.queued().length;
    this.item.text = st
      ? `$(sync~spin) SeqLab ${st.step}${total} · loss ${st.loss.toFixed(3)} · ${fmtRate(st.tokensPerSec)} tok/s${more}`
      : `$(sync~spin) SeqLab starting…${more}`;
    this.item.tooltip = `${s.status === 'stopping' ? 'Stopping (saving a checkpoint)' : 'Training'} ${s.label}${queued ? `; ${queued} queued` : ''}\nClick to open the training dashboard.`;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
