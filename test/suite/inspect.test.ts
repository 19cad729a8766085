import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
// Only TF.js-free engine modules: the other suite checks that TF.js never loads on this host.
import type { ModelConfig } from '../../src/engine/config';
import { paramShapes, type Weights } from '../../src/engine/model/shapes';
import { CharTokenizer } from '../../src/engine/tokenizers';
import type { SeqLabApi } from '../../src/extension';
import type { Painted } from '../../src/inspect/controller';
import { saveCheckpointOf } from '../helpers/checkpointFile';
import { until } from '../helpers/until';

const TEXT = 'function add(a, b) {\n  // "sum"\n  return [a + b];\n}\n'.repeat(4);

/** A small LSTM with seeded random weights and a char vocabulary covering TEXT and the edits. */
function checkpoint(): string {
  const tok = CharTokenizer.train([TEXT + 'let q=1;xyz\n']);
  const config: ModelConfig = {
    cell: 'lstm',
    activation: 'tanh',
    vocabSize: tok.vocabSize,
    embedding: 8,
    hidden: 12,
    layers: 2,
    dropout: 0,
  };
  let s = 7;
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 1.2;
  const weights: Weights = new Map(
    paramShapes(config).map(([name, shape]) => [
      name,
      { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b) }, rnd) },
    ]),
  );
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-inspect-')), 'ck');
  saveCheckpointOf(dir, { model: config, tokenizer: tok, weights });
  return dir;
}

suite('Inspect Model on This File', () => {
  let api: SeqLabApi;
  let ck: string;
  let doc: vscode.TextDocument;

  suiteSetup(async () => {
    api = (await vscode.extensions.getExtension('seqlab.seqlab')!.activate()) as SeqLabApi;
    ck = checkpoint();
    const file = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'inspect-sample.ts');
    fs.writeFileSync(file, TEXT);
    doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
  });

  suiteTeardown(() => vscode.commands.executeCommand('seqlab.inspectStop'));

  /** Waits until the painted state is the document's current version, to its end. */
  const upToDate = (what: string) =>
    until(what, () => {
      const p = api.inspect.last;
      return p && p.version === doc.version && p.lastEnd === doc.getText().length ? p : undefined;
    });

  test('the command paints the surprise heatmap over the whole file', async () => {
    const p = (await vscode.commands.executeCommand('seqlab.inspectModel', {
      checkpoint: ck,
      uri: doc.uri,
    })) as Painted;
    assert.ok(p, 'the command returns what it painted');
    assert.strictEqual(p.colorBy.kind, 'surprisal');
    assert.strictEqual(p.tokens, TEXT.length);
    assert.strictEqual(p.lastEnd, TEXT.length);
    assert.ok(p.ranges > 0, 'an untrained model is surprised by most characters');
    assert.ok(p.meanBits > 1);
  });

  test('decorations follow edits: re-inspected from the edit on, to the new end', async () => {
    const editor = vscode.window.activeTextEditor!;
    const end = doc.getText().length;
    await editor.edit((e) => e.insert(doc.positionAt(end), 'let q=1;\n'));
    const atEnd = await upToDate('the edit at the end to be painted');
    assert.strictEqual(atEnd.tokens, end + 9);
    assert.ok(atEnd.recomputed <= 9, `only the typed tokens are re-read, not ${atEnd.recomputed}`);
    await editor.edit((e) => e.insert(doc.positionAt(0), 'xyz\n'));
    const atStart = await upToDate('the edit at the start to be painted');
    assert.strictEqual(atStart.recomputed, doc.getText().length, 'an edit at the start changes every state');
  });

  test('colouring by a unit paints a diverging scale and keeps it through edits', async () => {
    const p = (await vscode.commands.executeCommand('seqlab.inspectColorBy', { unit: 'c1.3' })) as Painted;
    assert.deepStrictEqual(p.colorBy, { kind: 'unit', unit: 'c1.3' });
    assert.ok(p.ranges > 0);
    const editor = vscode.window.activeTextEditor!;
    await editor.edit((e) => e.insert(doc.positionAt(10), 'q'));
    const after = await upToDate('the unit colouring to follow the edit');
    assert.deepStrictEqual(after.colorBy, { kind: 'unit', unit: 'c1.3' });
    const back = (await vscode.commands.executeCommand('seqlab.inspectColorBy', { unit: '' })) as Painted;
    assert.strictEqual(back.colorBy.kind, 'surprisal');
  });

  test('a hover shows the surprisal and the top-5 predictions', async () => {
    const hovers = (await vscode.commands.executeCommand(
      'vscode.executeHoverProvider',
      doc.uri,
      doc.positionAt(20),
    )) as vscode.Hover[];
    const text = hovers
      .flatMap((h) => h.contents)
      .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
      .join('\n');
    assert.match(text, /surprisal [\d.]+ bits/);
    assert.strictEqual((text.match(/^- `.*` [\d.]+%$/gm) ?? []).length, 5, text);
  });

  test('saliency at the cursor underlines earlier characters', async () => {
    const editor = vscode.window.activeTextEditor!;
    editor.selection = new vscode.Selection(doc.positionAt(60), doc.positionAt(60));
    const r = await api.inspect.saliencyAt(editor);
    assert.ok(r && r.norms.length === 60 && r.norms.some((v) => v > 0));
  });
});
