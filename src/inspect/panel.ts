import * as crypto from 'crypto';
import * as vscode from 'vscode';
import { HostToUnitsView, parseUnitsViewMessage, UnitsViewToHost } from './viewProtocol';

const VIEW_TYPE = 'seqlab.units';

/**
 * The Units view: units ranked by correlation with each text feature, with sparklines, the gate
 * saturation scatter and the saliency chart. A strict CSP (scripts by nonce only, no inline
 * styles) and every message from it validated, like the dashboard.
 */
export class UnitsPanel implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private ready = false;
  private last = new Map<string, HostToUnitsView>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly onMessage: (m: UnitsViewToHost) => void,
  ) {}

  get visible(): boolean {
    return this.panel !== undefined;
  }

  open(): void {
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      'SeqLab Units',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist')] },
    );
    this.panel = panel;
    this.ready = false;
    panel.webview.html = this.html(panel.webview);
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.ready = false;
    });
    panel.webview.onDidReceiveMessage((raw: unknown) => {
      const m = parseUnitsViewMessage(raw);
      if (!m) {
        this.log.warn(`units view: dropped a malformed message ${JSON.stringify(raw)?.slice(0, 200)}`);
        return;
      }
      if (m.type === 'ready') {
        this.ready = true;
        for (const v of this.last.values()) void panel.webview.postMessage(v);
      }
      this.onMessage(m);
    });
  }

  /** Sends to the view; the latest message of each type is replayed when the view (re)loads. */
  post(m: HostToUnitsView): void {
    this.last.set(m.type, m);
    if (this.panel && this.ready) void this.panel.webview.postMessage(m);
  }

  private html(webview: vscode.Webview): string {
    const nonce = crypto.randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'inspectView.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'inspectView.css'));
    return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${webview.cspSource} data:; style-src ${webview.cspSource}; font-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${style}">
<title>SeqLab Units</title></head>
<body><div id="app"></div><script nonce="${nonce}" src="${script}"></script></body></html>`;
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
