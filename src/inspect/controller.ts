import * as path from 'path';
import * as vscode from 'vscode';
import { FEATURE_LABELS } from '../engine/inspect/features';
import { InspectClient } from './client';
import { divergingScale, divergingStep, heatScale, heatStep, saliencyScale } from './decorations';
import { UnitsPanel } from './panel';
import type { Inspected, InspectToHost } from './protocol';
import type { ColorBy, UnitsViewToHost } from './viewProtocol';

/** Quiet time after typing before the document is inspected again. */
const REINSPECT_MS = 250;
/** Quiet time after the cursor moves before saliency is computed for it. */
const SALIENCY_MS = 400;

/** What the editor shows for the inspected document, for listeners (the tests, the e2e). */
export interface Painted {
  docId: string;
  version: number;
  colorBy: ColorBy;
  tokens: number;
  /** End offset of the last token painted: the document's length once it is up to date. */
  lastEnd: number;
  /** Painted ranges (merged runs of one colour). */
  ranges: number;
  meanBits: number;
  recomputed: number;
}

/**
 * Inspection of one document at a time: runs it in the worker, paints it by surprisal or by a
 * unit, re-inspects it as it is edited, answers hovers, and feeds the Units view.
 */
export class InspectController implements vscode.Disposable {
  readonly client: InspectClient;
  private readonly heat = heatScale();
  private readonly diverging = divergingScale();
  private readonly salient = saliencyScale();
  private readonly panel: UnitsPanel;
  private target?: { uri: string; checkpoint: string; version: number; result: Inspected };
  private colorBy: ColorBy = { kind: 'surprisal' };
  private unitValues?: { unit: string; values: Float32Array };
  private regex = '';
  private timer?: NodeJS.Timeout;
  private saliencyTimer?: NodeJS.Timeout;
  private readonly painted = new vscode.EventEmitter<Painted>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Each repaint of the inspected document. */
  readonly onDidPaint = this.painted.event;
  last?: Painted;

  constructor(
    extensionUri: vscode.Uri,
    workerPath: string,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.client = new InspectClient(workerPath);
    this.client.on('log', (l: string) => log.warn(l));
    this.panel = new UnitsPanel(extensionUri, log, (m) => void this.fromView(m));
    this.disposables.push(
      this.heat,
      this.diverging,
      this.salient,
      this.panel,
      this.painted,
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() !== this.target?.uri || e.contentChanges.length === 0) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.refresh(e.document), REINSPECT_MS);
      }),
      vscode.window.onDidChangeVisibleTextEditors(() => this.repaint()),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor.document.uri.toString() !== this.target?.uri) return;
        clearTimeout(this.saliencyTimer);
        this.saliencyTimer = setTimeout(() => void this.saliencyAt(e.textEditor), SALIENCY_MS);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d.uri.toString() === this.target?.uri) this.stop();
      }),
      vscode.languages.registerHoverProvider({ pattern: '**' }, { provideHover: (d, p) => this.hover(d, p) }),
    );
  }

  /** Inspects `doc` with `checkpoint`, paints it and opens the Units view. */
  async inspect(doc: vscode.TextDocument, checkpoint: string): Promise<Painted> {
    if (this.target && this.target.uri !== doc.uri.toString()) this.stop();
    this.colorBy = { kind: 'surprisal' };
    this.unitValues = undefined;
    const r = await this.run(doc, checkpoint);
    this.panel.open();
    void this.gates();
    return r;
  }

  /** Colours the editor by surprisal or by a unit. */
  async colorByUnit(c: ColorBy): Promise<Painted | undefined> {
    if (!this.target) return undefined;
    if (c.kind === 'unit') {
      const r = await this.client.request({ type: 'unit', docId: this.target.uri, unit: c.unit });
      if (r.type !== 'unitValues') throw new Error(this.failure(r, 'colouring by a unit'));
      this.unitValues = { unit: c.unit, values: r.values };
    }
    this.colorBy = c;
    this.postInspection();
    return this.repaint();
  }

  get inspectedUri(): string | undefined {
    return this.target?.uri;
  }

  /** Stops inspecting: decorations off, the worker forgets the document. */
  stop(): void {
    if (!this.target) return;
    const uri = this.target.uri;
    this.target = undefined;
    clearTimeout(this.timer);
    for (const e of vscode.window.visibleTextEditors)
      if (e.document.uri.toString() === uri)
        [this.heat, this.diverging, this.salient].forEach((s) => s.clear(e));
    this.client.forget(uri);
  }

  private failure(r: InspectToHost, what: string): string {
    return r.type === 'failed' ? r.message : `${what}: unexpected reply ${r.type}`;
  }

  private async run(doc: vscode.TextDocument, checkpoint: string): Promise<Painted> {
    const version = doc.version;
    const r = await this.client.request({
      type: 'inspect',
      checkpoint,
      docId: doc.uri.toString(),
      text: doc.getText(),
      regex: this.regex || undefined,
    });
    if (r.type === 'dropped') return this.last!;
    if (r.type !== 'inspected') throw new Error(this.failure(r, 'inspecting'));
    // A reply for an older version than the one already painted is stale.
    if (this.target && this.target.uri === r.docId && this.target.version > version) return this.last!;
    this.target = { uri: r.docId, checkpoint, version, result: r };
    this.log.trace(
      `inspect: ${r.starts.length} tokens, ${r.recomputed} re-read, ${r.ms.toFixed(1)} ms in the worker`,
    );
    if (this.colorBy.kind === 'unit') {
      const u = await this.client.request({ type: 'unit', docId: r.docId, unit: this.colorBy.unit });
      if (u.type === 'unitValues') this.unitValues = { unit: u.unit, values: u.values };
    }
    this.postInspection();
    return this.repaint()!;
  }

  private async refresh(doc: vscode.TextDocument): Promise<void> {
    if (!this.target || doc.uri.toString() !== this.target.uri) return;
    try {
      await this.run(doc, this.target.checkpoint);
    } catch (err) {
      this.log.warn(`inspect: ${(err as Error).message}`);
    }
  }

  private postInspection(): void {
    if (!this.target) return;
    const r = this.target.result;
    this.panel.post({
      type: 'inspection',
      file: path.basename(vscode.Uri.parse(this.target.uri).fsPath),
      checkpoint: this.target.checkpoint,
      tokens: r.starts.length,
      meanBits: r.meanBits,
      ranking: r.ranking,
      labels: FEATURE_LABELS,
      units: r.units,
      colorBy: this.colorBy,
      regex: this.regex,
    });
  }

  private repaint(): Painted | undefined {
    if (!this.target) return undefined;
    const { result: r, uri, version } = this.target;
    let ranges = 0;
    for (const e of vscode.window.visibleTextEditors) {
      if (e.document.uri.toString() !== uri) continue;
      let painted: vscode.Range[][];
      if (
        this.colorBy.kind === 'unit' &&
        this.unitValues &&
        this.unitValues.values.length === r.starts.length
      ) {
        const v = this.unitValues.values;
        let max = 0;
        for (const x of v) max = Math.max(max, Math.abs(x));
        this.heat.clear(e);
        painted = this.diverging.paint(e, r.starts, r.ends, (t) => divergingStep(v[t], max));
      } else {
        this.diverging.clear(e);
        painted = this.heat.paint(e, r.starts, r.ends, (t) => heatStep(r.surprisal[t]));
      }
      ranges = painted.reduce((a, x) => a + x.length, 0);
    }
    const n = r.starts.length;
    this.last = {
      docId: uri,
      version,
      colorBy: this.colorBy,
      tokens: n,
      lastEnd: n ? r.ends[n - 1] : 0,
      ranges,
      meanBits: r.meanBits,
      recomputed: r.recomputed,
    };
    this.painted.fire(this.last);
    return this.last;
  }

  private async hover(doc: vscode.TextDocument, pos: vscode.Position): Promise<vscode.Hover | undefined> {
    if (doc.uri.toString() !== this.target?.uri) return undefined;
    const r = await this.client.request({ type: 'hover', docId: this.target.uri, offset: doc.offsetAt(pos) });
    if (r.type !== 'hoverInfo' || r.start < 0) return undefined;
    const md = new vscode.MarkdownString();
    const show = (s: string) => '`' + JSON.stringify(s).slice(1, -1).replace(/`/g, "'") + '`';
    md.appendMarkdown(
      `**SeqLab** surprisal ${r.bits.toFixed(2)} bits for ${show(doc.getText(new vscode.Range(doc.positionAt(r.start), doc.positionAt(r.end))))}\n\n`,
    );
    md.appendMarkdown('The model expected:\n\n');
    for (const t of r.top) md.appendMarkdown(`- ${show(t.text)} ${(100 * t.p).toFixed(1)}%\n`);
    return new vscode.Hover(md, new vscode.Range(doc.positionAt(r.start), doc.positionAt(r.end)));
  }

  /** Saliency of the token under the cursor: underlines in the editor and a chart in the view. */
  async saliencyAt(editor: vscode.TextEditor): Promise<{ from: number; norms: Float32Array } | undefined> {
    if (!this.target || editor.document.uri.toString() !== this.target.uri) return undefined;
    const { result: res, uri } = this.target;
    const r = await this.client.request({
      type: 'saliency',
      docId: uri,
      offset: editor.document.offsetAt(editor.selection.active),
    });
    if (r.type !== 'saliencyInfo' || !this.target || r.norms.length === 0) return undefined;
    let max = 0;
    for (const x of r.norms) max = Math.max(max, x);
    const starts = res.starts.subarray(r.from, r.target);
    const ends = res.ends.subarray(r.from, r.target);
    this.salient.paint(editor, starts, ends, (t) =>
      max > 0 ? Math.min(4, Math.floor((r.norms[t] / max) * 5)) : -1,
    );
    const text = editor.document.getText();
    this.panel.post({
      type: 'saliency',
      target: text.slice(res.starts[r.target], res.ends[r.target]),
      tokens: Array.from(starts, (s, i) => text.slice(s, ends[i])),
      norms: Array.from(r.norms),
    });
    return { from: r.from, norms: r.norms };
  }

  private async gates(): Promise<void> {
    if (!this.target) return;
    const r = await this.client.request({ type: 'gates', docId: this.target.uri });
    if (r.type === 'gateInfo') this.panel.post({ type: 'gates', saturation: r.saturation });
    else if (r.type === 'failed') this.log.warn(`inspect: gate saturation: ${r.message}`);
  }

  private async fromView(m: UnitsViewToHost): Promise<void> {
    try {
      if (m.type === 'colorBy') await this.colorByUnit(m.colorBy);
      else if (m.type === 'regex' && this.target) {
        this.regex = m.source;
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === this.target?.uri);
        if (doc) await this.run(doc, this.target.checkpoint);
      }
    } catch (err) {
      const msg = (err as Error).message;
      this.panel.post({ type: 'error', message: msg });
      this.log.warn(`inspect: ${msg}`);
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    clearTimeout(this.saliencyTimer);
    this.client.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
