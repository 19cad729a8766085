/** The webview's one handle on the VS Code host: messages out, and the state kept across reloads. */
import type { WebviewMessage } from '../src/dashboard/protocol';

declare function acquireVsCodeApi(): {
  postMessage(m: WebviewMessage): void;
  getState(): unknown;
  setState(s: unknown): void;
};
// acquireVsCodeApi may be called only once per webview.
const api = acquireVsCodeApi();

export const post = (m: WebviewMessage): void => api.postMessage(m);
export const loadState = (): unknown => api.getState();
export const saveState = (s: unknown): void => api.setState(s);
