import * as path from 'path';
import type { ModelConfig, TrainConfig } from '../../config';
import { SeqLabError, describeError } from '../../errors';
import type { CorpusReport } from '../../events';
import type { Optimizer } from '../../optim';
import {
  acquireRunLock,
  checkpointName,
  runPaths,
  createRunDir,
  newRunId,
  RunLock,
  RunRecorder,
  recoverRunFolder,
  runsRootFor,
  writeRunConfig,
} from '../../runFolder';
import type { TrainOptions, TrainResult } from '../../trainer';
import { TrainingLoop } from '../../training/loop';
import { createOptimizer } from '../../training/optimizer';
import { initBackend } from '../../wasm/backend';
import { fitsTrainingKernel } from '../../model/shapes';
import { isWasmBackend } from '../../wasm/backendNames';
import { loadCheckpoint } from '../../checkpoint';
import { resumeRunDir, startPoint } from '../languageModel/start';
import { ForecastData, forecastOptions, prepareForecastData } from './data';
import type { ForecastSpec } from './forecasting';
import { forecastModelConfig, ForecastTask } from './task';

/** The start event's data report, in rows (the language model's report counts characters and tokens). */
function seriesReport(file: string, d: ForecastData): CorpusReport {
  const valRows = d.val === d.train ? d.train.values[0].length - d.valStart : d.val.values[0].length;
  return {
    folder: path.resolve(file),
    files: d.val === d.train ? 1 : 2,
    trainFiles: 1,
    valFiles: d.val === d.train ? 0 : 1,
    trainChars: 0,
    valChars: 0,
    trainTokens: d.train.values[0].length - (d.val === d.train ? valRows : 0),
    valTokens: valRows,
    skipped: [],
    unknownTokens: 0,
  };
}

function lockForResume(resume: string, notes: string[]): RunLock {
  const lock = acquireRunLock(resumeRunDir(resume));
  try {
    const r = recoverRunFolder(resumeRunDir(resume));
    for (const n of r.restored)
      notes.push(`recovered checkpoint ${n}, complete but not yet renamed when the run stopped`);
    if (r.removed.length) notes.push(`removed temporaries left by a crash: ${r.removed.join(', ')}`);
  } catch (err) {
    lock.release();
    throw err;
  }
  return lock;
}

/** The checkpoint a resume starts from holds the normalisation and baselines fitted when the run began. */
function resumedSpec(runDir: string | undefined, step: number): ForecastSpec | undefined {
  if (!runDir || step === 0) return undefined;
  const dir = path.join(runPaths(runDir).checkpoints, checkpointName(step));
  try {
    return loadCheckpoint(dir).manifest.taskSpec as unknown as ForecastSpec;
  } catch {
    return undefined;
  }
}

/** A new run's folder with its config.json. */
function openForecastRun(
  opts: TrainOptions,
  file: string,
  recorded: TrainConfig,
  model: ModelConfig,
): string {
  const runId = opts.runId ?? newRunId(`forecast-${model.cell}`);
  const runDir = createRunDir(runsRootFor(file, opts.out), runId);
  writeRunConfig(runDir, {
    runId,
    folder: path.resolve(file),
    createdAt: new Date().toISOString(),
    train: recorded,
    model,
    parent: null,
    ...(opts.group ? { group: opts.group } : {}),
  });
  return runDir;
}

/** The lines that explain a slower run than asked for. */
function setupNotes(backend: Awaited<ReturnType<typeof initBackend>>, model: ModelConfig): string[] {
  const notes: string[] = [];
  if (backend.fallbackReason) notes.push(`wasm backend unavailable (${backend.fallbackReason}); using cpu`);
  if (isWasmBackend(backend.name) && !fitsTrainingKernel(model.hidden))
    notes.push(
      `hidden size ${model.hidden} is not a multiple of 4, so training runs on plain TF.js ops, several times slower than the wasm training kernel`,
    );
  return notes;
}

/**
 * Trains a forecaster on a CSV/TSV file: the forecast task in the task-independent training loop
 * (budgets, clipping, schedule, atomic checkpoints, resume). Reports through typed events.
 */
export async function trainForecaster(opts: TrainOptions): Promise<TrainResult> {
  const recorder = new RunRecorder(opts.onEvent);
  let task: ForecastTask | undefined;
  let optimizer: Optimizer | undefined;
  let lock: RunLock | undefined;
  try {
    const notes: string[] = [];
    if (opts.resume) lock = lockForResume(opts.resume, notes);
    const resume = opts.resume ? { run: opts.resume, from: opts.resumeFrom } : undefined;
    const s = startPoint(opts.folder, opts.config, resume, undefined);
    if (!forecastOptions(s.config).target)
      throw new SeqLabError(
        'E_DATA',
        'A forecaster needs the column to forecast',
        '--target',
        'Add --target <column> (the CSV header names the columns).',
      );
    const backend = await initBackend(s.config.backend, opts.log);
    const data = prepareForecastData(s.folder, s.config, resumedSpec(s.runDir, s.counters.step));
    const model: ModelConfig = forecastModelConfig(s.modelConfig, data);
    const recorded: TrainConfig = {
      ...s.config,
      task: 'forecast',
      forecast: forecastOptions(s.config),
      sampleLength: 0,
      model: s.modelConfig as ModelConfig,
    };
    const runDir = s.runDir ?? openForecastRun(opts, s.folder, recorded, model);
    lock ??= acquireRunLock(runDir);
    recorder.attach(runDir);
    recorder.status({ status: 'running', pid: process.pid, step: s.counters.step });
    task = new ForecastTask({
      model,
      config: recorded,
      data,
      weights: s.weights,
      epoch: s.counters.epoch,
      step: s.counters.step,
      emit: (e) => recorder.emit(e),
    });
    optimizer = createOptimizer(recorded, task.lrScale, s.optimizer, s.counters.step);
    recorder.emit({
      type: 'start',
      time: Date.now(),
      runId: path.basename(runDir),
      runDir,
      config: recorded,
      vocabSize: model.vocabSize,
      parameters: task.parameters,
      backend: backend.threads > 1 ? `${backend.name} (${backend.threads} threads)` : backend.name,
      corpus: seriesReport(s.folder, data),
      resumedFromStep: s.counters.step,
      batch: Math.min(recorded.batch, data.trainOrigins.length),
    });
    for (const message of [...notes, ...s.notes, ...setupNotes(backend, model), ...data.notes])
      recorder.emit({ type: 'log', time: Date.now(), message });
    const loop = new TrainingLoop({
      task,
      optimizer,
      config: recorded,
      counters: s.counters,
      recorder,
      runDir,
      parent: null,
      shouldStop: opts.shouldStop,
    });
    return { runDir, ...(await loop.run()) };
  } catch (err) {
    recorder.fail(describeError(err), err instanceof SeqLabError ? err.code : undefined);
    throw err;
  } finally {
    task?.dispose();
    optimizer?.dispose();
    lock?.release();
  }
}
