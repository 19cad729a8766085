import * as path from 'path';
import * as os from 'os';
import { initBackend } from './wasm/backend';
import { isWasmBackend } from './wasm/backendNames';
import type { ModelConfig, TrainConfig } from './config';
import { SeqLabError, describeError } from './errors';
import type { TrainEventListener } from './events';
import { fitsTrainingKernel } from './model/shapes';
import type { Optimizer } from './optim';
import {
  acquireRunLock,
  createRunDir,
  newRunId,
  RunLock,
  RunRecorder,
  recoverRunFolder,
  runsRootFor,
  writeRunConfig,
} from './runFolder';
import { corpusReport, LanguageData, prepareLanguageData, ShardMode } from './tasks/languageModel/data';
import { FinetuneOptions, resumeRunDir, StartPoint, startPoint } from './tasks/languageModel/start';
import { LanguageModelTask } from './tasks/languageModel/task';
import { LoopResult, TrainingLoop } from './training/loop';
import { createOptimizer } from './training/optimizer';

// Moved; re-exported from their old path for the callers and branches that import them here.
export { evaluate } from './tasks/languageModel/evaluate';
export type { EvalResult } from './tasks/languageModel/evaluate';
export type { FinetuneOptions } from './tasks/languageModel/start';
export { checkpointName, latestCheckpoint } from './runFolder';

export interface TrainOptions {
  /** Folder (or single file) to train on. */
  folder: string;
  config: TrainConfig;
  /** Where `.seqlab/runs` goes; default: the trained folder. */
  out?: string;
  runId?: string;
  /** Written to config.json: runs of one experiment (compare cells) share it. */
  group?: string;
  /** Continue this run folder from its newest checkpoint that loads (or from `resumeFrom`). */
  resume?: string;
  /** With `resume`: the checkpoint to continue from (its folder, or its name `step-…`). */
  resumeFrom?: string;
  /** Where the include/exclude patterns came from (a flag, seqlab.json), for a refused pattern's message. */
  patternSource?: string;
  finetune?: FinetuneOptions;
  /**
   * Stream the corpus from a tokenized shard on disk (`.seqlab/shards`) instead of holding it in
   * memory: 'on', 'off', or 'auto' (default: when the corpus is larger than SHARD_AUTO_BYTES).
   */
  shard?: ShardMode;
  onEvent?: TrainEventListener;
  /** Polled between steps; true stops the run after saving a checkpoint. */
  shouldStop?: () => boolean;
  log?: (line: string) => void;
}

export interface TrainResult extends LoopResult {
  runDir: string;
}

/** A new run's folder with its config.json. */
function openNewRun(opts: TrainOptions, s: StartPoint, model: ModelConfig): string {
  const runId = opts.runId ?? newRunId(model.cell);
  const runDir = createRunDir(runsRootFor(s.folder, opts.out), runId);
  writeRunConfig(runDir, {
    runId,
    folder: path.resolve(s.folder),
    createdAt: new Date().toISOString(),
    train: { ...s.config, model: s.modelConfig },
    model,
    parent: s.parent,
    ...(opts.group ? { group: opts.group } : {}),
  });
  return runDir;
}

/** The lines that explain a slower or smaller run than asked for. */
export function setupNotes(
  backend: Awaited<ReturnType<typeof initBackend>>,
  s: StartPoint,
  B: number,
): string[] {
  const notes: string[] = [];
  const hidden = s.modelConfig.hidden;
  if (backend.reason) notes.push(backend.reason);
  if (backend.fallbackReason) notes.push(`wasm backend unavailable (${backend.fallbackReason}); using cpu`);
  if (backend.threadsReason && os.cpus().length > 1)
    notes.push(`wasm backend on one thread (${backend.threadsReason})`);
  if (isWasmBackend(backend.name) && !fitsTrainingKernel(hidden)) {
    const near = Math.max(4, Math.round(hidden / 4) * 4);
    notes.push(
      `hidden size ${hidden} is not a multiple of 4, so training runs on plain TF.js ops, several times slower than the wasm training kernel; a hidden size of ${near} would use the kernel`,
    );
  }
  if (B < s.config.batch)
    notes.push(
      `batch reduced from ${s.config.batch} to ${B} so that each stream holds at least one window of ${s.config.seqLen} tokens`,
    );
  return notes;
}

function frozenGroups(ft: FinetuneOptions | undefined): Set<string> {
  const frozen = new Set<string>();
  if (ft?.freezeEmbedding) frozen.add('embedding');
  for (let l = 0; l < (ft?.freezeLayers ?? 0); l++) frozen.add(`layer_${l}`);
  return frozen;
}

/**
 * Locks a run to be resumed before its checkpoints are read (two processes must never train one
 * run), then repairs what a crash left in it; what was repaired goes to `notes` for the run's log.
 */
export function lockForResume(resume: string, notes: string[]): RunLock {
  const dir = resumeRunDir(resume);
  const lock = acquireRunLock(dir);
  try {
    const r = recoverRunFolder(dir);
    for (const n of r.restored)
      notes.push(`recovered checkpoint ${n}, complete but not yet renamed when the run stopped`);
    if (r.removed.length) notes.push(`removed temporaries left by a crash: ${r.removed.join(', ')}`);
  } catch (err) {
    lock.release();
    throw err;
  }
  return lock;
}

/**
 * Trains a language model on a folder: the language-model task (truncated BPTT over B parallel
 * streams with the state carried between windows, evaluation, sampling) in the task-independent
 * training loop (budgets, clipping, schedule, atomic checkpoints). Reports through typed events;
 * never prints.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const recorder = new RunRecorder(opts.onEvent);
  let task: LanguageModelTask | undefined;
  let optimizer: Optimizer | undefined;
  let lock: RunLock | undefined;
  let data: LanguageData | undefined;
  try {
    if (opts.config.engine === 'torch')
      throw new SeqLabError(
        'E_ENGINE',
        'This command trains on the built-in engine only; the PyTorch engine runs from seqlab train and seqlab resume',
        '--engine',
        'Drop --engine torch here (or the seqlab.engine setting), or train with seqlab train --engine torch.',
      );
    const notes: string[] = [];
    if (opts.resume) lock = lockForResume(opts.resume, notes);
    const resume = opts.resume ? { run: opts.resume, from: opts.resumeFrom } : undefined;
    const s = startPoint(opts.folder, opts.config, resume, opts.finetune);
    const m = s.modelConfig;
    const backend = await initBackend(s.config.backend, opts.log, {
      batch: s.config.batch,
      hidden: m.hidden,
      input: Math.max(m.embedding, m.hidden),
    });
    // A resumed run's shards sit beside its runs: <root>/.seqlab/runs/<id> → <root>.
    const root = s.runDir ? path.resolve(s.runDir, '..', '..', '..') : runsRootFor(s.folder, opts.out);
    data = prepareLanguageData(s.folder, s.config, s.tokenizer, s.patternSource ?? opts.patternSource, {
      mode: opts.shard ?? 'auto',
      root,
      log: opts.log,
    });
    const model: ModelConfig = { ...s.modelConfig, vocabSize: data.tokenizer.vocabSize };
    const runDir = s.runDir ?? openNewRun(opts, s, model);
    lock ??= acquireRunLock(runDir);
    recorder.attach(runDir);
    recorder.status({ status: 'running', pid: process.pid, step: s.counters.step });
    // A run that PyTorch trained before records the engine that trains it now.
    const recorded: TrainConfig = { ...s.config, model: s.modelConfig as ModelConfig, engine: 'wasm' };
    task = new LanguageModelTask({
      model,
      config: s.config,
      data,
      weights: s.weights,
      carry: s.carry,
      frozen: frozenGroups(opts.finetune),
    });
    optimizer = createOptimizer(s.config, task.lrScale, s.optimizer, s.counters.step);
    recorder.emit({
      type: 'start',
      time: Date.now(),
      runId: path.basename(runDir),
      runDir,
      config: recorded,
      vocabSize: data.tokenizer.vocabSize,
      parameters: task.parameters,
      backend: backend.threads > 1 ? `${backend.name} (${backend.threads} threads)` : backend.name,
      corpus: corpusReport(s.folder, data),
      resumedFromStep: s.counters.step,
      batch: data.batcher.B,
    });
    for (const message of [...notes, ...s.notes, ...setupNotes(backend, s, data.batcher.B)])
      recorder.emit({ type: 'log', time: Date.now(), message });
    const loop = new TrainingLoop({
      task,
      optimizer,
      config: recorded,
      counters: s.counters,
      recorder,
      runDir,
      parent: s.parent,
      shouldStop: opts.shouldStop,
    });
    return { runDir, ...(await loop.run()) };
  } catch (err) {
    recorder.fail(describeError(err), err instanceof SeqLabError ? err.code : undefined);
    throw err;
  } finally {
    task?.dispose();
    data?.shard?.close();
    optimizer?.dispose();
    lock?.release();
  }
}
