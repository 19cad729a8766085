import * as vscode from 'vscode';
import { webviewPage } from '../views/webviewPage';
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
    return webviewPage(webview, this.extensionUri, 'inspectView', 'SeqLab Units');
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
