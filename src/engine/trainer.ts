import * as path from 'path';
import { initBackend } from './wasm/backend';
import type { ModelConfig, TrainConfig } from './config';
import { SeqLabError } from './errors';
import { runsRootFor } from './runFolder';
import { corpusReport, LanguageData, prepareLanguageData, ShardMode } from './tasks/languageModel/data';
import { FinetuneOptions, startPoint } from './tasks/languageModel/start';
import { LanguageModelTask } from './tasks/languageModel/task';
import { createOptimizer } from './training/optimizer';
import { backendNotes, RunOptions, TrainResult, withTrainingRun } from './training/run';

// Moved; re-exported from their old path for the callers and branches that import them here.
export { evaluate } from './tasks/languageModel/evaluate';
export type { EvalResult } from './tasks/languageModel/evaluate';
export type { FinetuneOptions } from './tasks/languageModel/start';
export { checkpointName, latestCheckpoint } from './runFolder';
export type { TrainResult } from './training/run';

export interface TrainOptions extends RunOptions {
  /** Folder (or single file) to train on. */
  folder: string;
  config: TrainConfig;
  /** Where the include/exclude patterns came from (a flag, seqlab.json), for a refused pattern's message. */
  patternSource?: string;
  finetune?: FinetuneOptions;
  /**
   * Stream the corpus from a tokenized shard on disk (`.seqlab/shards`) instead of holding it in
   * memory: 'on', 'off', or 'auto' (default: when the corpus is larger than SHARD_AUTO_BYTES).
   */
  shard?: ShardMode;
  log?: (line: string) => void;
}

function frozenGroups(ft: FinetuneOptions | undefined): Set<string> {
  const frozen = new Set<string>();
  if (ft?.freezeEmbedding) frozen.add('embedding');
  for (let l = 0; l < (ft?.freezeLayers ?? 0); l++) frozen.add(`layer_${l}`);
  return frozen;
}

/**
 * Trains a language model on a folder: the language-model task (truncated BPTT over B parallel
 * streams with the state carried between windows, evaluation, sampling) in the task-independent
 * training loop (budgets, clipping, schedule, atomic checkpoints). Reports through typed events;
 * never prints.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  return withTrainingRun(opts, async (run) => {
    if (opts.config.engine === 'torch')
      throw new SeqLabError(
        'E_ENGINE',
        'This command trains on the built-in engine only; the PyTorch engine runs from seqlab train and seqlab resume',
        '--engine',
        'Drop --engine torch here (or the seqlab.engine setting), or train with seqlab train --engine torch.',
      );
    const s = startPoint(opts.folder, opts.config, run.resume, opts.finetune);
    const m = s.modelConfig;
    const backend = await initBackend(s.config.backend, opts.log, {
      batch: s.config.batch,
      hidden: m.hidden,
      input: Math.max(m.embedding, m.hidden),
    });
    // A resumed run's shards sit beside its runs: <root>/.seqlab/runs/<id> → <root>.
    const root = s.runDir ? path.resolve(s.runDir, '..', '..', '..') : runsRootFor(s.folder, opts.out);
    const data: LanguageData = prepareLanguageData(
      s.folder,
      s.config,
      s.tokenizer,
      s.patternSource ?? opts.patternSource,
      { mode: opts.shard ?? 'auto', root, log: opts.log },
    );
    run.own({ dispose: () => data.shard?.close() });
    const model: ModelConfig = { ...s.modelConfig, vocabSize: data.tokenizer.vocabSize };
    run.open(
      s.runDir,
      () => ({
        folder: s.folder,
        tag: model.cell,
        recorded: { ...s.config, model: s.modelConfig },
        model,
        parent: s.parent,
      }),
      s.counters.step,
    );
    // A run that PyTorch trained before records the engine that trains it now.
    const recorded: TrainConfig = { ...s.config, model: s.modelConfig as ModelConfig, engine: 'wasm' };
    const task = run.own(
      new LanguageModelTask({
        model,
        config: s.config,
        data,
        weights: s.weights,
        carry: s.carry,
        frozen: frozenGroups(opts.finetune),
      }),
    );
    const optimizer = run.own(createOptimizer(s.config, task.lrScale, s.optimizer, s.counters.step));
    const B = data.batcher.B;
    const notes = [...s.notes, ...backendNotes(backend, m.hidden)];
    if (B < s.config.batch)
      notes.push(
        `batch reduced from ${s.config.batch} to ${B} so that each stream holds at least one window of ${s.config.seqLen} tokens`,
      );
    run.start(
      backend,
      {
        config: recorded,
        vocabSize: data.tokenizer.vocabSize,
        parameters: task.parameters,
        corpus: corpusReport(s.folder, data),
        resumedFromStep: s.counters.step,
        batch: B,
      },
      notes,
    );
    return run.loop({ task, optimizer, config: recorded, counters: s.counters, parent: s.parent });
  });
}
