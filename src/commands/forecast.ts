import { cpuBackendOf, type BackendChoice } from '../engine/wasm/backendNames';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { mergeConfig, PRESETS, PresetName, TrainOverrides, validateConfig } from '../engine/config';
import { SeqLabError } from '../engine/errors';
import type { TrainEvent } from '../engine/events';
import { FORECAST_BASE_CONFIG } from '../engine/tasks/forecast/defaults';
import { previewColumns, readTable } from '../engine/tasks/forecast/table';
import { CheckpointItem } from '../views/checkpointTree';
import { CommandContext, requireTrust } from './context';
import { askInt, pickConfig } from './prompts';
import { launch, LaunchResult, outputRoot, pickCheckpoint, TrainArgs } from './training';

/** Arguments for driving the forecaster commands without prompts (tests, other extensions). */
export interface TrainForecasterArgs {
  file: string;
  target: string;
  features?: string[];
  preset?: PresetName;
  overrides?: TrainOverrides;
  ifBusy?: TrainArgs['ifBusy'];
  wait?: boolean;
}

async function pickTable(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: 'SeqLab: forecast which CSV or TSV file?',
    canSelectMany: false,
    filters: { Tables: ['csv', 'tsv'] },
  });
  return picked?.[0]?.fsPath;
}

/** Shows the file's columns (numeric or not, a few values) and asks for the target and the inputs. */
async function pickColumns(file: string): Promise<{ target: string; features: string[] } | undefined> {
  const cols = previewColumns(readTable(file));
  const numeric = cols.filter((c) => c.numeric);
  if (numeric.length === 0)
    throw new SeqLabError(
      'E_DATA',
      `${file} has no numeric column to forecast`,
      file,
      'A forecaster needs a column of numbers (missing cells may be empty or NA).',
    );
  const describe = (c: (typeof cols)[number]) =>
    `${c.sample.join(', ')}…${c.missing ? ` · ${c.missing} missing` : ''}`;
  const target = await vscode.window.showQuickPick(
    numeric.map((c) => ({ label: c.name, description: describe(c) })),
    { title: `SeqLab: which column of ${path.basename(file)} to forecast?` },
  );
  if (!target) return undefined;
  const others = numeric.filter((c) => c.name !== target.label);
  if (others.length === 0) return { target: target.label, features: [] };
  const inputs = await vscode.window.showQuickPick(
    others.map((c) => ({ label: c.name, description: describe(c) })),
    {
      title: `SeqLab: other columns to read as inputs beside ${target.label} (none: the series alone)`,
      canPickMany: true,
    },
  );
  if (!inputs) return undefined;
  return { target: target.label, features: inputs.map((i) => i.label) };
}

/** SeqLab: Train Forecaster on CSV… — columns, then the window and horizon, then a preset or custom model. */
export async function trainForecasterCommand(
  ctx: CommandContext,
  arg?: vscode.Uri | TrainForecasterArgs,
): Promise<LaunchResult | undefined> {
  if (!requireTrust('Training')) return undefined;
  const args = arg instanceof vscode.Uri ? undefined : arg;
  const file = arg instanceof vscode.Uri ? arg.fsPath : (arg?.file ?? (await pickTable()));
  if (!file) return undefined;
  const columns = args ? { target: args.target, features: args.features ?? [] } : await pickColumns(file);
  if (!columns) return undefined;
  let shape: TrainOverrides = {};
  if (!args) {
    const window = await askInt('Past steps the model reads (window)', 24, 1, 4096);
    if (window === undefined) return undefined;
    const horizon = await askInt('Future steps it predicts (horizon)', 1, 1, 1024);
    if (horizon === undefined) return undefined;
    const chosen = await pickConfig();
    if (!chosen) return undefined;
    shape = mergeConfig(
      FORECAST_BASE_CONFIG,
      chosen.preset ? PRESETS[chosen.preset] : undefined,
      chosen.overrides,
      {
        forecast: { window, horizon },
      },
    );
  }
  const config = validateConfig(
    mergeConfig(
      FORECAST_BASE_CONFIG,
      shape,
      args?.preset ? PRESETS[args.preset] : undefined,
      args?.overrides,
      {
        task: 'forecast',
        forecast: { target: columns.target, features: columns.features },
      },
    ),
  );
  return launch(
    ctx,
    { kind: 'train', folder: file, config, out: outputRoot(path.dirname(file)) },
    args?.ifBusy,
    !!args?.wait,
  );
}

/** A free name beside `file`: data.forecast.csv, then data.forecast-2.csv… (never overwrites). */
function freeName(file: string): string {
  const base = file.replace(/\.(csv|tsv)$/i, '');
  for (let i = 1; ; i++) {
    const p = `${base}.forecast${i > 1 ? `-${i}` : ''}.csv`;
    if (!fs.existsSync(p)) return p;
  }
}

/** SeqLab: Forecast File… — the checkpoint's forecast past the end of a CSV, written as a new CSV. */
export async function forecastFileCommand(
  ctx: CommandContext,
  arg?: CheckpointItem | { checkpoint: string; file?: string; steps?: number; out?: string },
): Promise<string | undefined> {
  // Without a file (the tree's menu, a finished run's notification) every choice is asked for.
  const args = arg instanceof CheckpointItem || !arg?.file ? undefined : arg;
  const checkpoint =
    arg instanceof CheckpointItem
      ? arg.checkpoint.dir
      : (arg?.checkpoint ?? (await pickCheckpoint(ctx, 'Forecast with which checkpoint?')));
  if (!checkpoint) return undefined;
  const file = args?.file ?? (await pickTable());
  if (!file) return undefined;
  const steps = args ? args.steps : await askInt('Values to forecast', 12, 1, 100000);
  if (steps === undefined && !args) return undefined;
  let out = args?.out;
  if (!out) {
    const uri = await vscode.window.showSaveDialog({
      title: 'SeqLab: save the forecast as',
      defaultUri: vscode.Uri.file(freeName(file)),
      filters: { CSV: ['csv'] },
    });
    // The save dialog itself asks before replacing a file that exists.
    out = uri?.fsPath;
  } else if (fs.existsSync(out))
    throw new SeqLabError(
      'E_EXISTS',
      `${out} already exists`,
      out,
      'Choose another file name for the forecast.',
    );
  if (!out) return undefined;
  const backend = cpuBackendOf(vscode.workspace.getConfiguration('seqlab').get<BackendChoice>('backend'));
  const session = ctx.sessions.start({ kind: 'forecast', checkpoint, file, steps, backend });
  const warnings: string[] = [];
  session.on('event', (e: TrainEvent) => e.type === 'log' && warnings.push(e.message));
  const o = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `SeqLab: forecasting ${path.basename(file)}…` },
    () => session.outcome,
  );
  for (const w of warnings) {
    ctx.log.warn(`${file}: ${w}`);
    void vscode.window.showWarningMessage(`SeqLab: ${path.basename(file)}: ${w}`);
  }
  if (o.status === 'failed' || o.text === undefined)
    throw new SeqLabError(o.errorCode ?? 'E_FORECAST', o.error ?? 'forecasting failed', file);
  fs.writeFileSync(out, o.text);
  ctx.log.info(`forecast of ${file} by ${checkpoint} → ${out}`);
  if (!args) await vscode.window.showTextDocument(vscode.Uri.file(out));
  return out;
}
