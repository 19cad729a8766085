import { cpuBackendOf, type BackendChoice } from '../engine/wasm/backendNames';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { readManifest } from '../engine/checkpoint';
import { mergeConfig, TrainOverrides, validateConfig } from '../engine/config';
import { requireTask } from '../engine/tasks/kinds';
import { countLabels, readLabelledData } from '../engine/tasks/classify/data';
import type { ClassifierJob, ClassifierJobResult } from '../engine/tasks/classify/job';
import type { Prediction } from '../engine/tasks/classify/use';
import { SeqLabError } from '../engine/errors';
import { CheckpointItem } from '../views/checkpointTree';
import { CommandContext, requireTrust } from './context';
import { askBudget, pickFolder } from './prompts';
import { configFor, launch, LaunchResult, outputRoot, pickCheckpoint, TrainArgs } from './training';

/** "pos 120 · neg 95": the labels found and their counts. */
function labelCounts(folder: string): { line: string; labels: number } {
  const d = readLabelledData(folder);
  const counts = countLabels([...d.train, ...d.val]);
  const parts = d.labels.map((l) => `${l} ${counts.get(l)}`);
  const skipped = d.skipped.length ? `; ${d.skipped.length} files skipped (empty or binary)` : '';
  return { line: `${parts.join(' · ')}${skipped}`, labels: d.labels.length };
}

/**
 * SeqLab: Train Classifier on Folder…: a folder per label (or a table): shows the labels and
 * counts, then the same presets/custom flow as a language model, with the task set to classify.
 */
export async function trainClassifierCommand(
  ctx: CommandContext,
  arg?: vscode.Uri | (TrainArgs & { classify?: TrainOverrides['classify'] }),
): Promise<LaunchResult | undefined> {
  if (!requireTrust('Training')) return undefined;
  const args = arg instanceof vscode.Uri ? undefined : arg;
  let folder = arg instanceof vscode.Uri ? arg.fsPath : arg?.folder;
  folder ??= (await pickFolder('SeqLab: train a classifier on which folder (one sub-folder per label)?'))
    ?.fsPath;
  if (!folder) return undefined;
  const found = labelCounts(folder);
  ctx.log.info(`labels in ${folder}: ${found.line}`);
  if (!args) {
    const go = await vscode.window.showInformationMessage(
      `SeqLab: ${found.labels} labels in ${path.basename(folder)}: ${found.line}. Train a classifier on them?`,
      { modal: true },
      'Continue',
    );
    if (go !== 'Continue') return undefined;
  }
  const overrides: TrainOverrides = {
    ...args?.overrides,
    task: 'classify',
    ...(args?.classify ? { classify: args.classify } : {}),
  };
  const config = await configFor(folder, { ...args, folder, overrides } as TrainArgs);
  if (!config) return undefined;
  return launch(ctx, { kind: 'train', folder, config, out: outputRoot(folder) }, args?.ifBusy, !!args?.wait);
}

export interface FinetuneClassifierArgs {
  checkpoint: string;
  folder: string;
  steps?: number;
  gradualUnfreeze?: boolean;
  discriminativeLr?: boolean;
  ifBusy?: TrainArgs['ifBusy'];
  wait?: boolean;
}

/** Fine-tune as Classifier… on a language-model checkpoint (ULMFiT). */
export async function finetuneAsClassifierCommand(
  ctx: CommandContext,
  arg?: CheckpointItem | FinetuneClassifierArgs,
): Promise<LaunchResult | undefined> {
  if (!requireTrust('Fine-tuning')) return undefined;
  const args = arg instanceof CheckpointItem ? undefined : arg;
  const checkpoint =
    arg instanceof CheckpointItem
      ? arg.checkpoint.dir
      : (arg?.checkpoint ?? (await pickCheckpoint(ctx, 'Fine-tune which language model as a classifier?')));
  if (!checkpoint) return undefined;
  const manifest = readManifest(checkpoint);
  requireTask(checkpoint, manifest, 'lm', 'Fine-tuning as a classifier');
  const folder =
    args?.folder ?? (await pickFolder('SeqLab: labelled folder (one sub-folder per label)?'))?.fsPath;
  if (!folder) return undefined;
  let steps = args?.steps;
  let timeSeconds = 0;
  let ulmfit = {
    gradualUnfreeze: args?.gradualUnfreeze ?? true,
    discriminativeLr: args?.discriminativeLr ?? true,
  };
  if (!args) {
    const found = labelCounts(folder);
    const budget = await askBudget();
    if (!budget) return undefined;
    steps = budget.steps;
    timeSeconds = budget.timeSeconds;
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'Gradual unfreezing and discriminative learning rates (ULMFiT)', g: true, d: true },
        { label: 'Train every layer at one rate', g: false, d: false },
      ],
      { title: `SeqLab: ${found.line}. How should the encoder train?` },
    );
    if (!pick) return undefined;
    ulmfit = { gradualUnfreeze: pick.g, discriminativeLr: pick.d };
  }
  const config = validateConfig(
    mergeConfig(manifest.train, {
      task: 'classify',
      steps: steps ?? 0,
      timeSeconds,
      epochs: 0,
      classify: ulmfit,
    }),
  );
  return launch(
    ctx,
    { kind: 'train', folder, config, out: outputRoot(folder), finetune: { checkpoint } },
    args?.ifBusy,
    !!args?.wait,
  );
}

async function classifierCheckpoint(
  ctx: CommandContext,
  arg: CheckpointItem | { checkpoint?: string } | undefined,
  title: string,
): Promise<string | undefined> {
  if (arg instanceof CheckpointItem) return arg.checkpoint.dir;
  return arg?.checkpoint ?? (await pickCheckpoint(ctx, title));
}

/** Runs a classifier job in a worker (TF.js never loads on the extension host). */
async function inWorker(
  ctx: CommandContext,
  job: Omit<ClassifierJob, 'backend'>,
  title: string,
): Promise<ClassifierJobResult> {
  const backend = cpuBackendOf(vscode.workspace.getConfiguration('seqlab').get<BackendChoice>('backend'));
  const o = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `SeqLab: ${title}…` },
    () => ctx.sessions.run({ kind: 'classify', ...job, backend }),
  );
  if (o.status === 'failed' || !o.result)
    throw new SeqLabError(o.errorCode ?? 'E_CLASSIFY', o.error ?? `${title} failed`, job.checkpoint);
  return o.result as ClassifierJobResult;
}

function describe(p: { label: string; probabilities: Record<string, number> }): string {
  const probs = Object.entries(p.probabilities)
    .sort((a, b) => b[1] - a[1])
    .map(([l, v]) => `${l} ${(100 * v).toFixed(1)}%`)
    .join(' · ');
  return `${p.label} (${probs})`;
}

/** Classify Selection: the selection, or the whole document; the label and class probabilities. */
export async function classifySelectionCommand(
  ctx: CommandContext,
  arg?: CheckpointItem | { checkpoint?: string; text?: string },
): Promise<Prediction | undefined> {
  const checkpoint = await classifierCheckpoint(ctx, arg, 'Classify with which checkpoint?');
  if (!checkpoint) return undefined;
  const editor = vscode.window.activeTextEditor;
  const text =
    (arg && !(arg instanceof CheckpointItem) ? arg.text : undefined) ??
    (editor
      ? editor.selection.isEmpty
        ? editor.document.getText()
        : editor.document.getText(editor.selection)
      : undefined);
  if (!text?.trim()) {
    void vscode.window.showInformationMessage('SeqLab: select some text (or open a document) to classify.');
    return undefined;
  }
  const [p] = (await inWorker(ctx, { checkpoint, texts: [text] }, 'classifying')).predictions!;
  ctx.log.info(`classified ${text.length} characters with ${checkpoint}: ${describe(p)}`);
  void vscode.window.showInformationMessage(`SeqLab: ${describe(p)}`);
  return p;
}

const csvField = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Classify Files…: a CSV of file, label and each class's probability, saved where the user says. */
export async function classifyFilesCommand(
  ctx: CommandContext,
  arg?: CheckpointItem | { checkpoint?: string; files?: string[]; output?: string; overwrite?: boolean },
): Promise<string | undefined> {
  const checkpoint = await classifierCheckpoint(ctx, arg, 'Classify files with which checkpoint?');
  if (!checkpoint) return undefined;
  const given = arg && !(arg instanceof CheckpointItem) ? arg : undefined;
  const files =
    given?.files ??
    (
      await vscode.window.showOpenDialog({ canSelectMany: true, canSelectFiles: true, openLabel: 'Classify' })
    )?.map((u) => u.fsPath);
  if (!files?.length) return undefined;
  // The save dialog asks before replacing a file; a path given by a caller must be new unless it says overwrite.
  const output =
    given?.output ??
    (
      await vscode.window.showSaveDialog({
        filters: { CSV: ['csv'] },
        defaultUri: vscode.Uri.file(path.join(path.dirname(files[0]), 'predictions.csv')),
      })
    )?.fsPath;
  if (!output) return undefined;
  if (given?.output && fs.existsSync(output) && !given.overwrite)
    throw new Error(
      `${output} exists; SeqLab does not overwrite it. Choose another file, or pass overwrite: true.`,
    );
  const r = await inWorker(ctx, { checkpoint, files }, `classifying ${files.length} files`);
  const rows = [
    ['file', 'label', ...r.labels],
    ...r.predictions!.map((p, i) => [
      files[i],
      p.label,
      ...r.labels.map((l) => p.probabilities[l].toFixed(6)),
    ]),
  ];
  fs.writeFileSync(output, rows.map((row) => row.map(csvField).join(',')).join('\n') + '\n', {
    flag: given?.overwrite ? 'w' : 'wx',
  });
  ctx.log.info(`classified ${files.length} files → ${output}`);
  void vscode.window
    .showInformationMessage(`SeqLab: classified ${files.length} files → ${path.basename(output)}`, 'Open')
    .then((b) => {
      if (b === 'Open') void vscode.window.showTextDocument(vscode.Uri.file(output));
    });
  return output;
}

/** Evaluate on Folder for a classifier: accuracy, macro-F1, per-class figures and the confusion matrix in an editor. */
export async function evaluateClassifierCommand(
  ctx: CommandContext,
  arg?: CheckpointItem | { checkpoint?: string; folder?: string },
): Promise<{ accuracy: number; macro_f1: number } | undefined> {
  const checkpoint = await classifierCheckpoint(ctx, arg, 'Evaluate which classifier?');
  if (!checkpoint) return undefined;
  const given = arg && !(arg instanceof CheckpointItem) ? arg : undefined;
  const folder = given?.folder ?? (await pickFolder('SeqLab: evaluate on which labelled folder?'))?.fsPath;
  if (!folder) return undefined;
  const r = await inWorker(ctx, { checkpoint, evaluateOn: folder }, `evaluating on ${path.basename(folder)}`);
  const m = r.evaluation!;
  const lines = [
    `# ${path.basename(path.dirname(path.dirname(checkpoint)))} / ${path.basename(checkpoint)} on ${folder}`,
    '',
    `accuracy ${(100 * m.accuracy).toFixed(1)}%, macro-F1 ${m.macro_f1.toFixed(3)}, loss ${m.loss.toFixed(4)} (${m.examples} examples)`,
    '',
    '| label | precision | recall | F1 | support |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...r.labels.map(
      (l, i) =>
        `| ${l} | ${m.precision[i].toFixed(3)} | ${m.recall[i].toFixed(3)} | ${m.f1[i].toFixed(3)} | ${m.support[i]} |`,
    ),
    '',
    'Confusion (rows: true label, columns: predicted):',
    '',
    `| | ${r.labels.join(' | ')} |`,
    `| --- |${r.labels.map(() => ' ---: |').join('')}`,
    ...r.labels.map((l, i) => `| ${l} | ${m.confusion[i].join(' | ')} |`),
  ];
  if (!given)
    await vscode.window.showTextDocument(
      await vscode.workspace.openTextDocument({ language: 'markdown', content: lines.join('\n') + '\n' }),
    );
  ctx.log.info(
    `evaluated ${checkpoint} on ${folder}: accuracy ${m.accuracy.toFixed(4)}, macro-F1 ${m.macro_f1.toFixed(4)}`,
  );
  return { accuracy: m.accuracy, macro_f1: m.macro_f1 };
}
