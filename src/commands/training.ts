import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { readManifest } from '../engine/checkpoint';
import {
  DEFAULT_TRAIN_CONFIG,
  mergeConfig,
  PRESETS,
  PresetName,
  TrainConfig,
  TrainOverrides,
  validateConfig,
} from '../engine/config';
import { SeqLabError } from '../engine/errors';
import { evalFigures, type TrainEvent } from '../engine/events';
import type { FinetuneOptions } from '../engine/trainer';
import { TASK_RATE_UNITS, TaskKind, taskOf } from '../engine/tasks/kinds';
import { NEXT_STEP } from './nextStep';
import { overridesFromFlat, parseSeqlabJson } from '../config/flatConfig';
import { settingsOverrides } from '../config/settings';
import { readRun } from '../runs/runStore';
import type { SessionOutcome, TrainingSession } from '../training/sessionManager';
import type { Job } from '../training/workerProtocol';
import { CheckpointItem, RunItem } from '../views/checkpointTree';
import { CommandContext, requireTrust } from './context';
import { askBudget, askNumber, pickConfig, pickFolder } from './prompts';
import { askEngine, torchJobOptions } from './torchEngine';

/** Arguments for driving the commands without prompts (tests, other extensions). */
export interface TrainArgs {
  folder: string;
  preset?: PresetName;
  overrides?: TrainOverrides;
  /** When a run is already going: queue this one, run both, or stop the current one. Default: ask. */
  ifBusy?: 'queue' | 'alongside' | 'stop';
  /** Resolve when the run ends, with its outcome, instead of when it starts. */
  wait?: boolean;
}

export interface FinetuneArgs {
  checkpoint: string;
  folder: string;
  lr?: number;
  steps?: number;
  timeSeconds?: number;
  freezeEmbedding?: boolean;
  freezeLayers?: number;
  addLayer?: boolean;
  ifBusy?: TrainArgs['ifBusy'];
  wait?: boolean;
}

export interface LaunchResult {
  sessionId: number;
  outcome?: SessionOutcome;
}

/** Where runs go: the root of the workspace folder holding the trained folder, else the folder. */
export function outputRoot(folder: string): string {
  const ws = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(folder));
  return ws ? ws.uri.fsPath : folder;
}

async function whenBusy(
  ctx: CommandContext,
  given?: TrainArgs['ifBusy'],
): Promise<'now' | 'queue' | undefined> {
  const active = ctx.sessions.active();
  if (active.length === 0) return 'now';
  let choice = given;
  if (!choice) {
    const pick = await vscode.window.showWarningMessage(
      `SeqLab is already training ${active[0].label}. What should happen to the new run?`,
      { modal: true },
      'Queue It',
      'Run Alongside',
      'Stop Current',
    );
    choice =
      pick === 'Queue It'
        ? 'queue'
        : pick === 'Run Alongside'
          ? 'alongside'
          : pick === 'Stop Current'
            ? 'stop'
            : undefined;
  }
  if (!choice) return undefined;
  if (choice === 'stop') {
    active.forEach((s) => s.stop());
    await Promise.all(active.map((s) => s.outcome));
    return 'now';
  }
  return choice === 'queue' ? 'queue' : 'now';
}

/** Starts a training job with its progress notification, log lines and end-of-run message. */
export async function launch(
  ctx: CommandContext,
  job: Job & { kind: 'train' },
  ifBusy: TrainArgs['ifBusy'],
  wait: boolean,
): Promise<LaunchResult | undefined> {
  const when = await whenBusy(ctx, ifBusy);
  if (!when) return undefined;
  if (job.config.engine === 'torch' && !job.torch)
    job = { ...job, torch: await torchJobOptions(vscode.Uri.file(job.folder || job.resume || '.'), ctx.log) };
  const session = ctx.sessions.start(job, when);
  attachLog(ctx, session);
  void vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'SeqLab', cancellable: true },
    (progress, token) => {
      token.onCancellationRequested(() => session.stop());
      let last = 0;
      const onEvent = (e: TrainEvent) => {
        if (e.type === 'start') progress.report({ message: `training ${e.runId}` });
        if (e.type !== 'step') return;
        const cfg = job.config;
        const frac =
          cfg.steps > 0 ? e.step / cfg.steps : cfg.timeSeconds > 0 ? e.elapsedSeconds / cfg.timeSeconds : 0;
        const pct = Math.min(100, frac * 100);
        progress.report({
          increment: pct - last,
          message: `${session.runId ?? ''} step ${e.step}${cfg.steps ? `/${cfg.steps}` : ''} · loss ${e.loss.toFixed(3)}${session.status === 'stopping' ? ' · stopping…' : ''}`,
        });
        last = pct;
      };
      session.on('event', onEvent);
      if (session.status === 'queued') progress.report({ message: 'queued behind the current run' });
      return session.outcome.then(() => undefined);
    },
  );
  // Runs of a comparison are announced once, by the compare command, unless one fails: three
  // finish notifications would stack over the table it opens.
  void session.outcome.then((o) =>
    job.group && o.status !== 'failed' ? undefined : announce(ctx, session, o, taskOf(job.config)),
  );
  if (!wait) return { sessionId: session.id };
  return { sessionId: session.id, outcome: await session.outcome };
}

function attachLog(ctx: CommandContext, s: TrainingSession): void {
  let unit = TASK_RATE_UNITS.lm;
  s.on('event', (e: TrainEvent) => {
    switch (e.type) {
      case 'start': {
        unit = TASK_RATE_UNITS[taskOf(e.config)];
        const c = e.corpus;
        ctx.log.info(`run ${e.runId} → ${e.runDir}`);
        ctx.log.info(
          `corpus ${c.folder}: ${c.files} files (${c.trainFiles} train, ${c.valFiles} val), ${c.trainTokens + c.valTokens} tokens, ${c.skipped.length} skipped`,
        );
        for (const sk of c.skipped) ctx.log.warn(`skipped ${sk.path}: ${sk.reason}`);
        if (c.unknownTokens)
          ctx.log.warn(`${c.unknownTokens} tokens are not in the vocabulary and map to <unk>`);
        ctx.log.info(
          `${e.config.model.layers}×${e.config.model.cell} ${e.config.model.hidden}, ${e.parameters} parameters, backend ${e.backend}`,
        );
        break;
      }
      case 'step':
        if (e.step % 50 === 0)
          ctx.log.info(
            `step ${e.step} loss ${e.loss.toFixed(4)} grad-norm ${e.gradNorm.toFixed(2)}${e.clipped ? ' (clipped)' : ''} ${Math.round(e.tokensPerSec)} ${unit}`,
          );
        break;
      case 'eval':
        ctx.log.info(`eval @${e.step}: loss ${e.valLoss.toFixed(4)}  ${evalFigures(e)}`);
        break;
      case 'sample':
        ctx.log.info(`sample @${e.step}: ${JSON.stringify(e.prime + e.text)}`);
        break;
      case 'checkpoint':
        ctx.log.info(`checkpoint ${e.name}${e.best ? ' (best)' : ''} → ${e.path}`);
        break;
      case 'log':
        ctx.log.warn(e.message);
        break;
      case 'error':
        ctx.log.error(e.message);
        break;
      case 'done':
        ctx.log.info(`done (${e.reason}) at step ${e.step}`);
        break;
      default:
        break;
    }
  });
}

function announce(ctx: CommandContext, s: TrainingSession, o: SessionOutcome, task: TaskKind): void {
  if (o.status === 'failed') {
    ctx.log.error(o.error ?? 'training failed');
    void vscode.window.showErrorMessage(`SeqLab: ${o.error}`, 'Show Log').then((b) => b && ctx.log.show());
    return;
  }
  const d = o.done;
  const what = o.status === 'stopped' ? 'stopped' : 'finished';
  const val =
    d?.valLoss != null
      ? ` — validation loss ${d.valLoss.toFixed(3)}${d.bpc != null ? ` (${d.bpc.toFixed(2)} bits/char)` : ''}`
      : '';
  const next = NEXT_STEP[task];
  const buttons = d?.checkpoint ? ['Open Dashboard', next.label] : ['Open Dashboard'];
  void vscode.window
    .showInformationMessage(
      `SeqLab: ${s.runId ?? 'run'} ${what} at step ${d?.step ?? '?'}${val}.`,
      ...buttons,
    )
    .then((b) => {
      if (b === 'Open Dashboard')
        void vscode.commands.executeCommand('seqlab.openDashboard', { runDir: o.runDir });
      if (b === next.label && d?.checkpoint)
        void vscode.commands.executeCommand(next.command, { checkpoint: d.checkpoint });
    });
}

/** Config for a folder: engine defaults ← settings ← seqlab.json (if present) or preset/prompts ← explicit overrides. */
export async function configFor(folder: string, args?: TrainArgs): Promise<TrainConfig | undefined> {
  const base = mergeConfig(DEFAULT_TRAIN_CONFIG, settingsOverrides(vscode.Uri.file(folder)));
  const jsonFile = path.join(folder, 'seqlab.json');
  let chosen: { preset?: PresetName; overrides: TrainOverrides } | undefined;
  if (fs.existsSync(jsonFile))
    chosen = overridesFromFlat(parseSeqlabJson(fs.readFileSync(jsonFile, 'utf8'), jsonFile), jsonFile);
  else if (args?.preset || args?.overrides) chosen = { preset: args.preset, overrides: {} };
  else chosen = await pickConfig();
  if (!chosen) return undefined;
  const config = mergeConfig(
    base,
    chosen.preset ? PRESETS[chosen.preset] : undefined,
    chosen.overrides,
    args?.overrides,
  );
  try {
    return validateConfig(config);
  } catch (err) {
    if (err instanceof SeqLabError && fs.existsSync(jsonFile))
      throw new SeqLabError(
        err.code,
        `${err.message} (in ${jsonFile} or the seqlab.training settings)`,
        jsonFile,
        err.hint,
      );
    throw err;
  }
}

export async function trainCommand(
  ctx: CommandContext,
  arg?: vscode.Uri | TrainArgs,
): Promise<LaunchResult | undefined> {
  if (!requireTrust('Training')) return undefined;
  const args = arg instanceof vscode.Uri ? undefined : arg;
  let folder = arg instanceof vscode.Uri ? arg.fsPath : arg?.folder;
  folder ??= (await pickFolder('SeqLab: train on which folder?'))?.fsPath;
  if (!folder) return undefined;
  const config = await configFor(folder, args);
  if (!config) return undefined;
  // Where to train: asked with the prompts; given by the settings or arguments otherwise.
  if (!args && !fs.existsSync(path.join(folder, 'seqlab.json'))) {
    const engine = await askEngine(vscode.Uri.file(folder), config.engine);
    if (!engine) return undefined;
    config.engine = engine;
  }
  return launch(ctx, { kind: 'train', folder, config, out: outputRoot(folder) }, args?.ifBusy, !!args?.wait);
}

export async function finetuneCommand(
  ctx: CommandContext,
  arg?: CheckpointItem | FinetuneArgs,
): Promise<LaunchResult | undefined> {
  if (!requireTrust('Fine-tuning')) return undefined;
  const args = arg instanceof CheckpointItem ? undefined : arg;
  const checkpoint =
    arg instanceof CheckpointItem
      ? arg.checkpoint.dir
      : (arg?.checkpoint ?? (await pickCheckpoint(ctx, 'Fine-tune which checkpoint?')));
  if (!checkpoint) return undefined;
  const manifest = readManifest(checkpoint);
  const folder = args?.folder ?? (await pickFolder('SeqLab: fine-tune on which folder?'))?.fsPath;
  if (!folder) return undefined;
  let lr = args?.lr;
  let steps = args?.steps;
  let freezeLayers = args?.freezeLayers;
  let freezeEmbedding = args?.freezeEmbedding;
  let timeSeconds = args?.timeSeconds;
  if (!args) {
    lr = await askNumber('Learning rate for fine-tuning', manifest.train.lr / 2, 1e-7, 1);
    if (lr === undefined) return undefined;
    const budget = await askBudget();
    if (!budget) return undefined;
    steps = budget.steps;
    timeSeconds = budget.timeSeconds;
    const L = manifest.model.layers;
    const freeze = await vscode.window.showQuickPick(
      [
        { label: 'Train everything', n: 0, emb: false },
        { label: 'Freeze the embedding', n: 0, emb: true },
        ...Array.from({ length: L - 1 }, (_, i) => ({
          label: `Freeze the embedding and the lowest ${i + 1} layer(s)`,
          n: i + 1,
          emb: true,
        })),
      ],
      { title: 'SeqLab: freeze lower layers?' },
    );
    if (!freeze) return undefined;
    freezeLayers = freeze.n;
    freezeEmbedding = freeze.emb;
  }
  const config = validateConfig(
    mergeConfig(manifest.train, {
      steps: steps ?? 0,
      timeSeconds: timeSeconds ?? 0,
      epochs: 0,
      ...(lr ? { lr } : {}),
    }),
  );
  const finetune: FinetuneOptions = { checkpoint, freezeEmbedding, freezeLayers, addLayer: args?.addLayer };
  return launch(
    ctx,
    { kind: 'train', folder, config, out: outputRoot(folder), finetune },
    args?.ifBusy,
    !!args?.wait,
  );
}

export async function resumeCommand(
  ctx: CommandContext,
  arg?:
    | RunItem
    | {
        runDir: string;
        steps?: number;
        wait?: boolean;
        ifBusy?: TrainArgs['ifBusy'];
        /** Resume a run whose config.json names a folder outside the workspace (asked otherwise). */
        allowOutsideWorkspace?: boolean;
      },
): Promise<LaunchResult | undefined> {
  if (!requireTrust('Training')) return undefined;
  let runDir = arg instanceof RunItem ? arg.run.dir : arg?.runDir;
  if (!runDir) {
    const candidates = ctx.tree
      .allRuns()
      .flatMap((r) => r.runs)
      .filter((r) => r.state !== 'running' && r.checkpoints.some((c) => !c.error && !c.inProgress));
    const pick = await vscode.window.showQuickPick(
      candidates.map((r) => ({
        label: r.id,
        description: `${r.state} · step ${r.status?.step ?? 0}`,
        dir: r.dir,
      })),
      { title: 'SeqLab: resume which run?' },
    );
    runDir = pick?.dir;
  }
  if (!runDir) return undefined;
  if (ctx.sessions.findByRun(runDir)) {
    void vscode.window.showInformationMessage(`SeqLab: ${path.basename(runDir)} is already training.`);
    return undefined;
  }
  const run = readRun(runDir);
  if (!run.config)
    throw new SeqLabError(
      'E_RESUME',
      `Cannot resume ${runDir}: ${run.error}`,
      runDir,
      'Start a new run instead.',
    );
  const args = arg instanceof RunItem ? undefined : arg;
  // A run folder can come with a repository: a config.json whose "folder" points outside the
  // workspace (at ~/.ssh, /etc) would read files the user never chose. Ask before reading them.
  const folder = run.config.folder;
  const inWorkspace = (vscode.workspace.workspaceFolders ?? []).some((w) => {
    const rel = path.relative(w.uri.fsPath, path.resolve(folder));
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  });
  if (!inWorkspace && !args?.allowOutsideWorkspace) {
    const what = `${path.basename(runDir)} trains on ${folder}, outside this workspace`;
    const where = path.join(runDir, 'config.json');
    if (args)
      throw new SeqLabError(
        'E_RESUME_OUTSIDE',
        `Not resuming: ${what}`,
        where,
        'Check the "folder" in its config.json; pass allowOutsideWorkspace: true, or resume it with seqlab resume, if it is right.',
      );
    const ok = await vscode.window.showWarningMessage(
      `SeqLab: ${what} (${where}). Resume and read that folder?`,
      { modal: true },
      'Resume Anyway',
    );
    if (ok !== 'Resume Anyway') return undefined;
  }
  const config = { ...run.config.train, steps: args?.steps ?? run.config.train.steps, timeSeconds: 0 };
  return launch(ctx, { kind: 'train', folder, config, resume: runDir }, args?.ifBusy, !!args?.wait);
}

export async function stopCommand(ctx: CommandContext, arg?: RunItem | { runDir?: string }): Promise<number> {
  const runDir = arg instanceof RunItem ? arg.run.dir : arg?.runDir;
  const targets = runDir
    ? ctx.sessions.sessions.filter((s) => s.runDir === runDir)
    : ctx.sessions.sessions.filter((s) => s.job.kind === 'train');
  if (targets.length === 0) {
    void vscode.window.showInformationMessage('SeqLab: nothing is training.');
    return 0;
  }
  targets.forEach((s) => s.stop());
  ctx.log.info(`stopping ${targets.length} run(s): saving a checkpoint first`);
  return targets.length;
}

export async function pickCheckpoint(ctx: CommandContext, title: string): Promise<string | undefined> {
  const items = ctx.tree
    .allRuns()
    .flatMap((r) => r.runs)
    .flatMap((r) =>
      r.checkpoints
        .filter((c) => !c.error && !c.inProgress)
        .map((c) => ({
          label: `${r.id} / ${c.name}`,
          description: c.manifest?.valLoss != null ? `val ${c.manifest.valLoss.toFixed(3)}` : '',
          dir: c.dir,
        })),
    );
  if (items.length === 0) {
    void vscode.window.showInformationMessage(
      'SeqLab: no checkpoints in this workspace yet. Train a model first.',
    );
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { title: `SeqLab: ${title}` }))?.dir;
}
