import { cpuBackendOf, type BackendChoice } from '../engine/wasm/backendNames';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { readManifest } from '../engine/checkpoint';
import { fieldByKey, TrainOverrides } from '../engine/config';
import { SeqLabError } from '../engine/errors';
import { requireTask } from '../engine/tasks/kinds';
import { previewPairs, summaryInput, translationLines } from '../engine/tasks/seq2seq/editorText';
import type { Seq2seqJob, Seq2seqJobResult } from '../engine/tasks/seq2seq/job';
import type { Seq2seqOptions } from '../engine/tasks/seq2seq/options';
import { readPairs } from '../engine/tasks/seq2seq/pairs';
import type { Seq2seqEvalResult, Translation } from '../engine/tasks/seq2seq/use';
import { CheckpointItem } from '../views/checkpointTree';
import { CommandContext, requireTrust } from './context';
import { askField, pickConfig } from './prompts';
import { configFor, launch, LaunchResult, outputRoot, pickCheckpoint, TrainArgs } from './training';

/** Arguments for driving Train Translator on Pairs… without prompts (tests, other extensions). */
export interface TrainTranslatorArgs {
  /** A .tsv/.txt/.jsonl file of pairs, or a folder of line-aligned files. */
  pairs: string;
  preset?: TrainArgs['preset'];
  overrides?: TrainOverrides;
  seq2seq?: Partial<Seq2seqOptions>;
  ifBusy?: TrainArgs['ifBusy'];
  wait?: boolean;
}

/** Where translated text goes: on new lines below the selection, or in its place (seqlab.translate.output). */
export type TranslateOutput = 'insertBelow' | 'replace';

async function pickPairs(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: 'SeqLab: pairs to train on (a .tsv/.jsonl file, or a folder of line-aligned files)',
    canSelectFiles: true,
    canSelectFolders: true,
    canSelectMany: false,
    filters: { Pairs: ['tsv', 'txt', 'jsonl'] },
  });
  return picked?.[0]?.fsPath;
}

/** The attention kind, encoder direction and input feeding, asked after the Custom… prompts. */
async function askSeq2seqShape(): Promise<Partial<Seq2seqOptions> | undefined> {
  const attention = (await askField(fieldByKey('seq2seq.attention')!)) as Seq2seqOptions['attention'];
  if (!attention) return undefined;
  const dir = await vscode.window.showQuickPick(
    [
      { label: 'Bidirectional encoder', description: 'reads each source both ways', bi: true },
      { label: 'Forward encoder', description: 'reads each source left to right', bi: false },
    ],
    { title: 'SeqLab: encoder' },
  );
  if (!dir) return undefined;
  const feed = await vscode.window.showQuickPick(
    [
      { label: 'Plain decoder', description: 'faster: the decoder reads its inputs in one pass', on: false },
      {
        label: 'Input feeding',
        description:
          "Luong's: each step also sees the previous attentional vector; decodes step by step, slower",
        on: true,
      },
    ],
    { title: 'SeqLab: decoder' },
  );
  return feed ? { attention, bidirectional: dir.bi, inputFeeding: feed.on } : undefined;
}

/**
 * SeqLab: Train Translator on Pairs…: a pairs file or a folder of aligned files; the same
 * presets/custom flow as a language model, then the counts and the first pairs before it starts.
 */
export async function trainTranslatorCommand(
  ctx: CommandContext,
  arg?: vscode.Uri | TrainTranslatorArgs,
): Promise<LaunchResult | undefined> {
  if (!requireTrust('Training')) return undefined;
  const args = arg instanceof vscode.Uri ? undefined : arg;
  const pairs = arg instanceof vscode.Uri ? arg.fsPath : (arg?.pairs ?? (await pickPairs()));
  if (!pairs) return undefined;
  const isFolder = fs.statSync(pairs).isDirectory();
  // seqlab.json beside a pairs file (or in the folder of aligned files) applies, as for a corpus.
  const home = isFolder ? pairs : path.dirname(pairs);
  let chosen: Pick<TrainArgs, 'preset' | 'overrides'> = { preset: args?.preset, overrides: args?.overrides };
  let shape = args?.seq2seq;
  if (!args && !fs.existsSync(path.join(home, 'seqlab.json'))) {
    const picked = await pickConfig();
    if (!picked) return undefined;
    chosen = picked;
    if (!picked.preset) {
      shape = await askSeq2seqShape();
      if (!shape) return undefined;
    }
  }
  const overrides: TrainOverrides = {
    ...chosen.overrides,
    task: 'seq2seq',
    ...(shape ? { seq2seq: { ...chosen.overrides?.seq2seq, ...shape } } : {}),
  };
  const config = await configFor(home, { folder: home, preset: chosen.preset, overrides });
  if (!config) return undefined;
  const splits = readPairs(pairs, {
    sourceKey: config.seq2seq?.sourceKey,
    targetKey: config.seq2seq?.targetKey,
    valFraction: config.valFraction,
  });
  const p = previewPairs(splits);
  ctx.log.info(`pairs in ${pairs}: ${p.counts}`);
  for (const s of p.skipped) ctx.log.warn(s);
  if (!args) {
    const go = await vscode.window.showInformationMessage(
      `SeqLab: ${p.counts} in ${path.basename(pairs)}. Train a translator on them?`,
      {
        modal: true,
        detail: ['First training pairs:', ...p.first, ...(p.skipped.length ? ['', ...p.skipped] : [])].join(
          '\n',
        ),
      },
      'Train',
    );
    if (go !== 'Train') return undefined;
  }
  return launch(
    ctx,
    { kind: 'train', folder: pairs, config, out: outputRoot(home) },
    args?.ifBusy,
    !!args?.wait,
  );
}

/** The checkpoint a command acts on: the tree item, the given path, or one picked; other kinds refused. */
async function translatorCheckpoint(
  ctx: CommandContext,
  arg: CheckpointItem | { checkpoint?: string } | undefined,
  title: string,
  action: string,
): Promise<string | undefined> {
  const checkpoint =
    arg instanceof CheckpointItem
      ? arg.checkpoint.dir
      : (arg?.checkpoint ?? (await pickCheckpoint(ctx, title)));
  if (!checkpoint) return undefined;
  requireTask(checkpoint, readManifest(checkpoint), 'seq2seq', action);
  return checkpoint;
}

/** Runs a translator job in a worker (TF.js never loads on the extension host). */
async function inWorker(
  ctx: CommandContext,
  job: Omit<Seq2seqJob, 'backend'>,
  title: string,
): Promise<Seq2seqJobResult> {
  const backend = cpuBackendOf(vscode.workspace.getConfiguration('seqlab').get<BackendChoice>('backend'));
  const o = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `SeqLab: ${title}…` },
    () => ctx.sessions.run({ kind: 'seq2seq', ...job, backend }),
  );
  if (o.status === 'failed' || !o.result)
    throw new SeqLabError(o.errorCode ?? 'E_SEQ2SEQ', o.error ?? `${title} failed`, job.checkpoint);
  return o.result as Seq2seqJobResult;
}

export interface TranslateSelectionArgs {
  checkpoint?: string;
  /** Where the output goes; default the setting seqlab.translate.output. */
  output?: TranslateOutput;
  beam?: number;
}

export interface TranslateSelectionResult {
  /** The text written into the editor. */
  text: string;
  translations: Translation[];
}

/** The selection, or the cursor's line when nothing is selected. */
function selectedRange(editor: vscode.TextEditor): vscode.Range {
  const sel = editor.selection;
  return sel.isEmpty ? editor.document.lineAt(sel.active.line).range : sel;
}

/** Writes `text` below the range's last line (as new lines) or in the range's place. */
async function place(editor: vscode.TextEditor, range: vscode.Range, text: string, how: TranslateOutput) {
  const eol = editor.document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
  const body = text.replace(/\n/g, eol);
  const ok = await editor.edit((e) => {
    if (how === 'replace') e.replace(range, body);
    else e.insert(editor.document.lineAt(range.end.line).range.end, eol + body);
  });
  if (!ok)
    throw new SeqLabError(
      'E_EDIT',
      `Could not write the output into ${editor.document.uri.fsPath || editor.document.uri.toString()}`,
      editor.document.uri.toString(),
      'The document may be read-only or have changed meanwhile; try again.',
    );
}

async function runOnSelection(
  ctx: CommandContext,
  arg: CheckpointItem | TranslateSelectionArgs | undefined,
  mode: 'translate' | 'summarize',
): Promise<TranslateSelectionResult | undefined> {
  const verb = mode === 'translate' ? 'Translate' : 'Summarize';
  const checkpoint = await translatorCheckpoint(
    ctx,
    arg,
    `${verb} with which sequence-to-sequence checkpoint?`,
    mode === 'translate' ? 'Translating' : 'Summarizing',
  );
  if (!checkpoint) return undefined;
  const editor = vscode.window.activeTextEditor;
  const given = arg instanceof CheckpointItem ? undefined : arg;
  const range = editor && selectedRange(editor);
  const text = editor && range ? editor.document.getText(range) : '';
  if (!editor || !range || !text.trim()) {
    void vscode.window.showInformationMessage(
      `SeqLab: select the text to ${mode} (or put the cursor on a line) in an editor.`,
    );
    return undefined;
  }
  const split = translationLines(text);
  const inputs = mode === 'translate' ? split.inputs : [summaryInput(text)];
  const r = await inWorker(
    ctx,
    // Summaries block repeated trigrams unless the checkpoint asks for another order.
    { checkpoint, lines: inputs, beam: given?.beam, ...(mode === 'summarize' ? { blockNgram: 3 } : {}) },
    mode === 'translate' ? `translating ${inputs.length} line(s)` : 'summarizing',
  );
  const translations = r.translations ?? [];
  const outputs = translations.map((t) => t.output);
  const out = mode === 'translate' ? split.rebuild(outputs) : outputs[0];
  const how =
    given?.output ??
    vscode.workspace
      .getConfiguration('seqlab', editor.document.uri)
      .get<TranslateOutput>('translate.output', 'insertBelow');
  await place(editor, range, out, how);
  ctx.log.info(
    `${mode === 'translate' ? 'translated' : 'summarized'} ${inputs.length} input(s) with ${checkpoint}`,
  );
  return { text: out, translations };
}

/** Translate Selection: each selected line translated; below the selection or in its place (setting). */
export function translateSelectionCommand(
  ctx: CommandContext,
  arg?: CheckpointItem | TranslateSelectionArgs,
): Promise<TranslateSelectionResult | undefined> {
  return runOnSelection(ctx, arg, 'translate');
}

/** Summarize Selection: the selection as one input, its summary below it or in its place (setting). */
export function summarizeSelectionCommand(
  ctx: CommandContext,
  arg?: CheckpointItem | TranslateSelectionArgs,
): Promise<TranslateSelectionResult | undefined> {
  return runOnSelection(ctx, arg, 'summarize');
}

/** Evaluate on File for a translator: BLEU, chrF, ROUGE-L and the loss on a pairs file or folder, in an editor. */
export async function evaluateTranslatorCommand(
  ctx: CommandContext,
  arg?: CheckpointItem | { checkpoint?: string; file?: string; beam?: number },
): Promise<Seq2seqEvalResult | undefined> {
  const checkpoint = await translatorCheckpoint(
    ctx,
    arg,
    'Evaluate which sequence-to-sequence checkpoint?',
    'Evaluating a translator',
  );
  if (!checkpoint) return undefined;
  const given = arg instanceof CheckpointItem ? undefined : arg;
  const file =
    given?.file ??
    (
      await vscode.window.showOpenDialog({
        title: 'SeqLab: evaluate on which pairs (a .tsv/.jsonl file, or a folder of line-aligned files)?',
        canSelectFiles: true,
        canSelectFolders: true,
        canSelectMany: false,
        filters: { Pairs: ['tsv', 'txt', 'jsonl'] },
      })
    )?.[0]?.fsPath;
  if (!file) return undefined;
  if (!fs.existsSync(file))
    throw new SeqLabError(
      'E_PAIRS',
      `Pairs not found: ${file}`,
      file,
      'Check the path, or pick the file again.',
    );
  const r = await inWorker(
    ctx,
    { checkpoint, evaluateOn: file, beam: given?.beam },
    `evaluating on ${path.basename(file)}`,
  );
  const m = r.evaluation!;
  const lines = [
    `# ${path.basename(path.dirname(path.dirname(checkpoint)))} / ${path.basename(checkpoint)} on ${file}`,
    '',
    `| BLEU | chrF | ROUGE-L | loss | perplexity | pairs | beam |`,
    `| ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
    `| ${m.bleu.toFixed(2)} | ${m.chrf.toFixed(2)} | ${m.rougeL.toFixed(2)} | ${m.loss.toFixed(4)} | ${m.perplexity.toFixed(2)} | ${m.pairs} | ${m.beam} |`,
    '',
    'BLEU: corpus level, 13a tokenisation (sacreBLEU’s defaults); chrF: chrF2; loss: nats per target token.',
    ...(m.skipped.length ? ['', ...m.skipped.map((s) => `- ${s}`)] : []),
  ];
  if (!given)
    await vscode.window.showTextDocument(
      await vscode.workspace.openTextDocument({ language: 'markdown', content: lines.join('\n') + '\n' }),
    );
  ctx.log.info(
    `evaluated ${checkpoint} on ${file}: BLEU ${m.bleu.toFixed(2)}, chrF ${m.chrf.toFixed(2)}, loss ${m.loss.toFixed(4)}`,
  );
  return m;
}
