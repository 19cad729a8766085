import * as path from 'path';
import { calibrationShape } from '../../gpu/calibrate';
import { loadCheckpoint } from '../../checkpoint';
import type { ModelConfig, TrainConfig } from '../../config';
import { SeqLabError } from '../../errors';
import type { CorpusReport } from '../../events';
import { checkpointName, runPaths } from '../../runFolder';
import type { TrainOptions, TrainResult } from '../../trainer';
import { createOptimizer } from '../../training/optimizer';
import { backendNotes, withTrainingRun } from '../../training/run';
import { initBackend } from '../../wasm/backend';
import { startPoint } from '../languageModel/start';
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

/**
 * Trains a forecaster on a CSV/TSV file: the forecast task in the task-independent training loop
 * (budgets, clipping, schedule, atomic checkpoints, resume). Reports through typed events.
 */
export async function trainForecaster(opts: TrainOptions): Promise<TrainResult> {
  return withTrainingRun(opts, async (run) => {
    const s = startPoint(opts.folder, opts.config, run.resume, undefined);
    if (!forecastOptions(s.config).target)
      throw new SeqLabError(
        'E_DATA',
        'A forecaster needs the column to forecast',
        '--target',
        'Add --target <column> (the CSV header names the columns).',
      );
    // auto calibrates on this run's shape; webgpu trains every task (evaluation reads back asynchronously).
    const backend = await initBackend(
      s.config.backend,
      opts.log,
      calibrationShape(s.config.batch, s.modelConfig),
    );
    const data = prepareForecastData(s.folder, s.config, resumedSpec(s.runDir, s.counters.step));
    const model: ModelConfig = forecastModelConfig(s.modelConfig, data);
    const recorded: TrainConfig = {
      ...s.config,
      task: 'forecast',
      forecast: forecastOptions(s.config),
      sampleLength: 0,
      model: s.modelConfig as ModelConfig,
    };
    run.open(
      s.runDir,
      () => ({ folder: s.folder, tag: `forecast-${model.cell}`, recorded, model, parent: null }),
      s.counters.step,
    );
    const task = run.own(
      new ForecastTask({
        model,
        config: recorded,
        data,
        weights: s.weights,
        epoch: s.counters.epoch,
        step: s.counters.step,
        emit: (e) => run.recorder.emit(e),
      }),
    );
    const optimizer = run.own(createOptimizer(recorded, task.lrScale, s.optimizer, s.counters.step));
    run.start(
      backend,
      {
        config: recorded,
        vocabSize: model.vocabSize,
        parameters: task.parameters,
        corpus: seriesReport(s.folder, data),
        resumedFromStep: s.counters.step,
        batch: Math.min(recorded.batch, data.trainOrigins.length),
      },
      [...s.notes, ...backendNotes(backend, model.hidden), ...data.notes],
    );
    return run.loop({ task, optimizer, config: recorded, counters: s.counters, parent: null });
  });
}
