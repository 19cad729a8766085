import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import type { SeqLabApi } from '../../src/extension';
import type { LaunchResult } from '../../src/commands/training';
import type { CheckpointItem, RunItem, TreeNode } from '../../src/views/checkpointTree';
import { until } from '../helpers/until';

const isCheckpoint = (n: TreeNode): n is CheckpointItem => 'checkpoint' in n;

/** Two labels told apart by their words, one file per example. */
function writeLabelled(dir: string): void {
  const goods = ['good', 'great', 'fine', 'nice'];
  const bads = ['bad', 'awful', 'poor', 'sad'];
  for (let i = 0; i < 12; i++) {
    fs.mkdirSync(path.join(dir, 'pos'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'neg'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'pos', `p${i}.txt`), `it was ${goods[i % 4]} and ${goods[(i + 1) % 4]}`);
    fs.writeFileSync(
      path.join(dir, 'neg', `n${i}.txt`),
      `it was ${bads[i % 4]} and ${bads[(i + 3) % 4]} really`,
    );
  }
}

suite('SeqLab classifiers in a real VS Code extension host', () => {
  let api: SeqLabApi;
  let ws: string;
  let data: string;
  let classifier: string;
  const errors: string[] = [];
  const runs = (): RunItem[] => {
    api.tree.refresh();
    return api.tree.getChildren() as RunItem[];
  };

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension('seqlab.seqlab');
    assert.ok(ext, 'extension is installed');
    api = (await ext.activate()) as SeqLabApi;
    api.onDidShowError((m) => errors.push(m));
    ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    data = path.join(ws, 'reviews');
    writeLabelled(data);
  });

  test('the classifier commands are registered', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const id of [
      'trainClassifier',
      'finetuneClassifier',
      'classifySelection',
      'classifyFiles',
      'evaluateClassifier',
    ])
      assert.ok(all.includes(`seqlab.${id}`), `seqlab.${id}`);
  });

  test('Train Classifier on Folder: a classifier checkpoint the tree shows with its accuracy and macro-F1', async () => {
    const r = (await vscode.commands.executeCommand('seqlab.trainClassifier', {
      folder: data,
      preset: 'tiny',
      overrides: { steps: 30, evalEvery: 15, batch: 8 },
      wait: true,
    })) as LaunchResult;
    assert.strictEqual(r?.outcome?.status, 'finished', r?.outcome?.error);
    classifier = r.outcome!.done!.checkpoint!;
    assert.strictEqual(loadCheckpoint(classifier).manifest.task, 'classify');
    const run = await until('run in tree', () => runs().find((x) => x.run.dir === r.outcome!.runDir));
    const ck = api.tree.getChildren(run).filter(isCheckpoint)[0];
    assert.match(String(ck.contextValue), /^seqlab\.checkpoint\.classify/);
    assert.match(String(ck.description), /acc \d\.\d{3} · F1 \d\.\d{3}/);
  });

  test('Classify Selection gives a label and probabilities; Classify Files writes a CSV and never overwrites silently', async () => {
    const p = (await vscode.commands.executeCommand('seqlab.classifySelection', {
      checkpoint: classifier,
      text: 'it was good and nice',
    })) as { label: string; probabilities: Record<string, number> };
    assert.ok(['neg', 'pos'].includes(p.label));
    assert.deepStrictEqual(Object.keys(p.probabilities).sort(), ['neg', 'pos']);
    const files = [path.join(data, 'pos', 'p0.txt'), path.join(data, 'neg', 'n0.txt')];
    const output = path.join(ws, 'predictions.csv');
    const out = await vscode.commands.executeCommand('seqlab.classifyFiles', {
      checkpoint: classifier,
      files,
      output,
    });
    assert.strictEqual(out, output);
    const rows = fs.readFileSync(output, 'utf8').trim().split('\n');
    assert.strictEqual(rows[0], 'file,label,neg,pos');
    assert.strictEqual(rows.length, 3);
    const before = errors.length;
    fs.writeFileSync(output, 'keep me\n');
    assert.strictEqual(
      await vscode.commands.executeCommand('seqlab.classifyFiles', { checkpoint: classifier, files, output }),
      undefined,
    );
    assert.strictEqual(fs.readFileSync(output, 'utf8'), 'keep me\n');
    assert.match(errors[before] ?? '', /exists; SeqLab does not overwrite it/);
  });

  test('Evaluate on Folder gives accuracy and macro-F1', async () => {
    const r = (await vscode.commands.executeCommand('seqlab.evaluateClassifier', {
      checkpoint: classifier,
      folder: data,
    })) as {
      accuracy: number;
      macro_f1: number;
    };
    assert.ok(r.accuracy >= 0 && r.accuracy <= 1);
    assert.ok(r.macro_f1 >= 0 && r.macro_f1 <= 1);
  });

  test('Fine-tune as Classifier: from a language model it trains; from a classifier it is refused with the kind needed', async () => {
    const lm = (await vscode.commands.executeCommand('seqlab.train', {
      folder: path.join(ws, 'corpus'),
      preset: 'tiny',
      overrides: { steps: 5, evalEvery: 5 },
      wait: true,
    })) as LaunchResult;
    assert.strictEqual(lm.outcome?.status, 'finished', lm.outcome?.error);
    const r = (await vscode.commands.executeCommand('seqlab.finetuneClassifier', {
      checkpoint: lm.outcome!.done!.checkpoint!,
      folder: data,
      steps: 6,
      wait: true,
    })) as LaunchResult;
    assert.strictEqual(r?.outcome?.status, 'finished', r?.outcome?.error);
    const m = loadCheckpoint(r.outcome!.done!.checkpoint!).manifest;
    assert.strictEqual(m.task, 'classify');
    assert.strictEqual(m.parent?.checkpoint, lm.outcome!.done!.checkpoint!);
    const before = errors.length;
    await vscode.commands.executeCommand('seqlab.finetuneClassifier', {
      checkpoint: classifier,
      folder: data,
      steps: 2,
    });
    assert.match(
      errors[before] ?? '',
      /needs a language-model checkpoint, but this is a classifier checkpoint/,
    );
  });

  test('TF.js is not loaded on the extension host by the classifier commands', () => {
    assert.strictEqual(
      Object.keys(require.cache).some((k) => k.includes('@tensorflow')),
      false,
    );
  });
});
