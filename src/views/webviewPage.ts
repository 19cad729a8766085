import * as crypto from 'crypto';
import * as vscode from 'vscode';

/**
 * The page of a SeqLab webview: its own bundle `dist/<bundle>.js` and `dist/<bundle>.css`, and a
 * strict Content Security Policy (nothing remote; the one script allowed by a fresh nonce). Every
 * SeqLab webview is built here, so the policy has one owner.
 */
export function webviewPage(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  bundle: string,
  title: string,
): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', `${bundle}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', `${bundle}.css`));
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${webview.cspSource} data:; style-src ${webview.cspSource}; font-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${style}">
<title>${title}</title></head>
<body><div id="app"></div><script nonce="${nonce}" src="${script}"></script></body></html>`;
}
