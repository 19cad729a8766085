import * as path from 'path';
import { SeqLabError } from '../errors';
import { readRunConfig } from '../runFolder';
import { train, TrainOptions, TrainResult } from '../trainer';
import { trainClassifier } from './classify/train';
import { trainForecaster } from './forecast/train';
import { TASK_NOUNS, TaskKind, taskOf } from './kinds';
import { trainSeq2seq } from './seq2seq/train';

/** Trains one kind of model: a task's whole run, from options to the last checkpoint. */
export type TaskTrainer = (opts: TrainOptions) => Promise<TrainResult>;

/** One line per task; a new task adds its trainer here and nowhere else in the engine. */
const TRAINERS: Partial<Record<TaskKind, TaskTrainer>> = {
  lm: train,
  classify: trainClassifier,
  seq2seq: trainSeq2seq,
  forecast: trainForecaster,
};

/** The kind a run will train: a resumed run keeps the kind recorded in its config.json. */
export function taskOfOptions(opts: TrainOptions): TaskKind {
  if (opts.resume) {
    const recorded = readRunConfig(path.resolve(opts.resume));
    if (recorded) return taskOf(recorded.train);
  }
  return taskOf(opts.config);
}

/** Trains whatever `opts.config.task` (or the resumed run) names. */
export function trainTask(opts: TrainOptions): Promise<TrainResult> {
  const kind = taskOfOptions(opts);
  const trainer = TRAINERS[kind];
  if (!trainer)
    throw new SeqLabError(
      'E_TASK',
      `Training a ${TASK_NOUNS[kind]} is not available in this version of SeqLab`,
      '--task',
      'use --task lm, or update SeqLab',
    );
  return trainer(opts);
}
