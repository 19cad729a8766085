import * as crypto from 'crypto';
import * as vscode from 'vscode';
import type { SessionManager } from '../training/sessionManager';

/**
 * Placeholder for the training dashboard (its own issue): one panel per window, strict CSP,
 * text only, showing what is training. The real dashboard replaces the HTML, not the wiring.
 */
export class DashboardPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sessions: SessionManager,
  ) {}

  open(focusRun?: string): vscode.WebviewPanel {
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(
        'seqlab.dashboard',
        'SeqLab Dashboard',
        vscode.ViewColumn.Active,
        {
          enableScripts: false,
          localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'media')],
        },
      );
      this.panel.onDidDispose(() => (this.panel = undefined));
    } else this.panel.reveal();
    this.panel.webview.html = this.html(this.panel.webview, focusRun);
    return this.panel;
  }

  private html(webview: vscode.Webview, focusRun?: string): string {
    const nonce = crypto.randomBytes(16).toString('base64');
    const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    const rows = this.sessions
      .active()
      .map(
        (s) =>
          `<li>${esc(s.label)}: step ${s.lastStep?.step ?? 0}, loss ${s.lastStep?.loss.toFixed(3) ?? '–'}</li>`,
      )
      .join('');
    return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<style nonce="${nonce}">body{font-family:var(--vscode-font-family);color:var(--vscode-foreground);padding:1em}</style>
</head><body><h2>SeqLab training dashboard</h2>
<p>Live loss and gradient charts are coming in the next version.${focusRun ? ` Selected run: <code>${esc(focusRun)}</code>.` : ''}</p>
<ul>${rows || '<li>No run is training in this window.</li>'}</ul></body></html>`;
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
