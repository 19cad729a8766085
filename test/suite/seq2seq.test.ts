import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { readManifest } from '../../src/engine/checkpoint';
import { DEFAULT_TRAIN_CONFIG } from '../../src/engine/config';
import type { Seq2seqEvalEvent } from '../../src/engine/events';
import { CharTokenizer } from '../../src/engine/tokenizers';
import type { SeqLabApi } from '../../src/extension';
import type { LaunchResult } from '../../src/commands/training';
import type { TranslateSelectionResult } from '../../src/commands/seq2seq';
import type { CheckpointItem, RunItem, TreeNode } from '../../src/views/checkpointTree';
import { saveCheckpointOf } from '../helpers/checkpointFile';
import { until } from '../helpers/until';

const isCheckpoint = (n: TreeNode): n is CheckpointItem => 'checkpoint' in n;

/**
 * An untitled editor holding `content`, once it is the active one: the commands read the active
 * editor, and the previous test's editor, being closed, could still hold that place (a summary of
 * that editor's line was seen in CI instead of this selection).
 */
async function activeEditorWith(content: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument({ content });
  await vscode.window.showTextDocument(doc);
  return until('the new editor to be active', () => {
    const e = vscode.window.activeTextEditor;
    return e?.document === doc && e;
  });
}

/** Reverts and closes the editor of `doc`, and waits until no editor shows it. */
async function closeEditorOf(doc: vscode.TextDocument): Promise<void> {
  await vscode.window.showTextDocument(doc);
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  await until('the editor to close', () => !vscode.window.visibleTextEditors.some((e) => e.document === doc));
}

suite('SeqLab translators in a real VS Code extension host', () => {
  let api: SeqLabApi;
  let dir: string;
  let pairs: string;
  let translator: string;
  const errors: string[] = [];

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension('seqlab.seqlab');
    assert.ok(ext, 'extension is installed');
    api = (await ext.activate()) as SeqLabApi;
    api.onDidShowError((m) => errors.push(m));
    dir = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'seq2seq-itest');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    // The bundled sample's English–French pairs.
    pairs = path.join(dir, 'en-fr.tsv');
    fs.copyFileSync(path.join(ext.extensionPath, 'media', 'sample', 'parallel', 'en-fr.tsv'), pairs);
  });

  test('the translator commands are registered', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const id of ['trainTranslator', 'translateSelection', 'summarizeSelection', 'evaluateTranslator'])
      assert.ok(all.includes(`seqlab.${id}`), `seqlab.${id}`);
  });

  test('Train Translator on Pairs: a sequence-to-sequence checkpoint with BLEU and chrF, examples and attention for the dashboard', async () => {
    const r = (await vscode.commands.executeCommand('seqlab.trainTranslator', {
      pairs,
      preset: 'tiny',
      overrides: { steps: 40, evalEvery: 20, batch: 8 },
      seq2seq: { bleuPairs: 8, beam: 2 },
      ifBusy: 'queue',
      wait: true,
    })) as LaunchResult;
    assert.strictEqual(r?.outcome?.status, 'finished', r?.outcome?.error);
    translator = r.outcome!.done!.checkpoint!;
    const m = readManifest(translator);
    assert.strictEqual(m.task, 'seq2seq');
    assert.strictEqual(m.train.seq2seq?.beam, 2, 'the options given reach the run');
    assert.ok(
      typeof m.metrics?.bleu === 'number' && typeof m.metrics?.chrf === 'number',
      JSON.stringify(m.metrics),
    );
    // The tree gives translator checkpoints their own context value (their own menu items).
    const run = await until('run in tree', () => {
      api.tree.refresh();
      return (api.tree.getChildren() as RunItem[]).find((x) => x.run.dir === r.outcome!.runDir);
    });
    const ck = api.tree.getChildren(run).filter(isCheckpoint)[0];
    assert.match(String(ck.contextValue), /^seqlab\.checkpoint\.seq2seq/);
    assert.match(String(ck.description), /BLEU \d+\.\d · chrF \d+\.\d/);
    // What the dashboard draws: each evaluation's examples, each with its attention.
    const details = fs
      .readFileSync(path.join(r.outcome!.runDir!, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"seq2seqEval"'))
      .map((l) => JSON.parse(l) as Seq2seqEvalEvent);
    assert.ok(details.length >= 1);
    const x = details[details.length - 1].examples[0];
    assert.ok(x.source && x.reference, 'an example has its source and reference');
    assert.strictEqual(x.attention!.weights.length, x.attention!.output.length);
    assert.strictEqual(x.attention!.weights[0].length, x.attention!.source.length);
  });

  test('Translate Selection writes each line’s translation below the selection, or in its place', async () => {
    const editor = await activeEditorWith('The sea is calm.\n\nThe wind is strong.');
    const doc = editor.document;
    editor.selection = new vscode.Selection(0, 0, 2, 19);
    const below = (await vscode.commands.executeCommand('seqlab.translateSelection', {
      checkpoint: translator,
      output: 'insertBelow',
    })) as TranslateSelectionResult;
    assert.ok(below, errors.join('\n'));
    assert.deepStrictEqual(
      below.translations.map((t) => t.source),
      ['The sea is calm.', 'The wind is strong.'],
    );
    assert.ok(below.translations.every((t) => t.output.length > 0));
    const [a, b] = below.translations.map((t) => t.output);
    assert.strictEqual(below.text, `${a}\n\n${b}`);
    assert.strictEqual(doc.getText(), `The sea is calm.\n\nThe wind is strong.\n${a}\n\n${b}`);
    // Replace: the line under the cursor (nothing selected) becomes its translation.
    editor.selection = new vscode.Selection(0, 3, 0, 3);
    const replaced = (await vscode.commands.executeCommand('seqlab.translateSelection', {
      checkpoint: translator,
      output: 'replace',
    })) as TranslateSelectionResult;
    assert.strictEqual(replaced.text, a, 'the same line translates the same way');
    assert.strictEqual(doc.getText().split('\n')[0], a);
    await closeEditorOf(doc);
  });

  test('Summarize Selection reads the selection as one input', async () => {
    const editor = await activeEditorWith('The lamp is lit.\nThe sea is calm.');
    const doc = editor.document;
    editor.selection = new vscode.Selection(0, 0, 1, 16);
    const r = (await vscode.commands.executeCommand('seqlab.summarizeSelection', {
      checkpoint: translator,
    })) as TranslateSelectionResult;
    assert.ok(r, errors.join('\n'));
    assert.deepStrictEqual(
      r.translations.map((t) => t.source),
      ['The lamp is lit. The sea is calm.'],
    );
    assert.strictEqual(doc.getText(), `The lamp is lit.\nThe sea is calm.\n${r.text}`);
    await closeEditorOf(doc);
  });

  test('Evaluate on File gives BLEU, chrF and the loss on every pair of the file', async () => {
    const r = (await vscode.commands.executeCommand('seqlab.evaluateTranslator', {
      checkpoint: translator,
      file: pairs,
      beam: 1,
    })) as { bleu: number; chrf: number; loss: number; pairs: number; beam: number };
    assert.ok(r, errors.join('\n'));
    assert.strictEqual(r.pairs, 35);
    assert.strictEqual(r.beam, 1);
    assert.ok(r.bleu >= 0 && r.bleu <= 100, `BLEU ${r.bleu}`);
    assert.ok(r.chrf > 0 && r.chrf <= 100, `chrF ${r.chrf}`);
    assert.ok(Number.isFinite(r.loss) && r.loss > 0);
  });

  test('a language-model checkpoint is refused with the kind needed; a missing file is named', async () => {
    const tok = CharTokenizer.train(['abc']);
    const lm = path.join(dir, 'lm-checkpoint');
    saveCheckpointOf(lm, {
      model: { ...DEFAULT_TRAIN_CONFIG.model, vocabSize: tok.vocabSize },
      tokenizer: tok,
      weights: new Map(),
    });
    const before = errors.length;
    assert.strictEqual(
      await vscode.commands.executeCommand('seqlab.evaluateTranslator', { checkpoint: lm, file: pairs }),
      undefined,
    );
    assert.match(
      errors[before] ?? '',
      /Evaluating a translator needs a sequence-to-sequence checkpoint, but this is a language-model checkpoint/,
    );
    const missing = path.join(dir, 'nope.tsv');
    await vscode.commands.executeCommand('seqlab.evaluateTranslator', {
      checkpoint: translator,
      file: missing,
    });
    assert.match(errors[before + 1] ?? '', /Pairs not found: .*nope\.tsv/);
  });

  test('TF.js is not loaded on the extension host by the translator commands', () => {
    assert.strictEqual(
      Object.keys(require.cache).some((k) => k.includes('@tensorflow')),
      false,
    );
  });
});
