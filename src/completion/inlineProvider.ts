import * as vscode from 'vscode';
import { primeText } from '../engine/completion/prime';
import type { CompletionController, CompletionResult } from './controller';
import { LateResult } from './lateResult';
import { completionSettings } from './settings';

const SCHEMES = new Set(['file', 'untitled', 'vscode-remote']);
const PRIME_TTL_MS = 5000;

/**
 * Inline completions from the workspace's own model. The provider's main-thread work is reading
 * the text before the cursor and posting it; the model runs in the completion worker. VS Code
 * cancels a request as soon as the user types on, so waiting out the debounce and checking the
 * token drops superseded requests before they cost anything.
 */
export class SeqLabInlineProvider implements vscode.InlineCompletionItemProvider {
  /** Longest synchronous stretch of a request on the extension host's thread, in ms (diagnostics). */
  maxMainThreadMs = 0;

  /** The priming text per language, rebuilt at most every PRIME_TTL_MS (other files change slowly). */
  private readonly primes = new Map<string, { at: number; text: string }>();

  /** A reply that came after VS Code cancelled its request while nothing moved (see lateResult.ts). */
  private readonly late = new LateResult<CompletionResult>();

  constructor(private readonly ctl: CompletionController) {}

  /** The start of the other open files of `doc`'s language, for a new document's state. */
  private primeFor(doc: vscode.TextDocument, maxChars: number): string {
    const hit = this.primes.get(doc.languageId);
    if (hit && performance.now() - hit.at < PRIME_TTL_MS) return hit.text;
    const others = vscode.workspace.textDocuments.filter(
      (d) => d !== doc && d.languageId === doc.languageId && SCHEMES.has(d.uri.scheme),
    );
    const share = Math.ceil(maxChars / Math.max(1, others.length));
    const text = primeText(
      others.map((d) => d.getText(new vscode.Range(d.positionAt(0), d.positionAt(share)))),
      maxChars,
    );
    this.primes.set(doc.languageId, { at: performance.now(), text });
    return text;
  }

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    _context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const checkpoint = this.ctl.checkpoint;
    if (!checkpoint || !SCHEMES.has(document.uri.scheme) || !vscode.workspace.isTrusted) return undefined;
    const s = completionSettings(document);
    if (!s.enabled) return undefined;
    const place = {
      uri: document.uri.toString(),
      version: document.version,
      offset: document.offsetAt(position),
    };
    const kept = this.late.take(place);
    if (kept) return this.deliver(kept, position);
    if (s.debounceMs > 0) await new Promise((r) => setTimeout(r, s.debounceMs));
    if (token.isCancellationRequested) return undefined;
    let t0 = performance.now();
    // Four windows' worth: the worker keeps reading incrementally until its stream is that long.
    const start = Math.max(0, place.offset - 4 * s.options.maxContext);
    const text = document.getText(new vscode.Range(document.positionAt(start), position));
    const prime = s.primeFromOpenFiles ? this.primeFor(document, s.options.maxContext) : undefined;
    const pending = this.ctl.client.request(
      {
        checkpoint,
        docId: document.uri.toString(),
        text,
        textStart: start,
        options: s.options,
        prime,
        ngram: s.ngram,
        defaultMinConfidence: s.defaultMinConfidence,
      },
      token,
    );
    this.maxMainThreadMs = Math.max(this.maxMainThreadMs, performance.now() - t0);
    const reply = await pending;
    t0 = performance.now();
    if (reply.type === 'failed') {
      await this.ctl.handle(reply);
      return undefined;
    }
    if (reply.type !== 'result') return undefined;
    if (token.isCancellationRequested) {
      if (reply.items.length && this.unmoved(document, position, place.version)) {
        this.late.keep(place, reply);
        void vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
      }
      return undefined;
    }
    const items = this.deliver(reply, position);
    this.maxMainThreadMs = Math.max(this.maxMainThreadMs, performance.now() - t0);
    return items;
  }

  /** Whether `document` is still the active editor's, unedited since `version`, cursor at `position`. */
  private unmoved(document: vscode.TextDocument, position: vscode.Position, version: number): boolean {
    const editor = vscode.window.activeTextEditor;
    return (
      editor?.document === document &&
      document.version === version &&
      editor.selection.isEmpty &&
      editor.selection.active.isEqual(position)
    );
  }

  private deliver(result: CompletionResult, position: vscode.Position): vscode.InlineCompletionItem[] {
    this.ctl.delivered(result);
    const at = new vscode.Range(position, position);
    return result.items.map((t) => new vscode.InlineCompletionItem(t, at));
  }
}
