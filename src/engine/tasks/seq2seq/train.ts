import * as path from 'path';
import { calibrationShape } from '../../gpu/calibrate';
import type { ModelConfig, TrainConfig } from '../../config';
import { SeqLabError } from '../../errors';
import type { CorpusReport } from '../../events';
import type { TrainOptions, TrainResult } from '../../trainer';
import { tokenizerFromJSON } from '../../tokenizers';
import { createOptimizer } from '../../training/optimizer';
import { backendNotes, withTrainingRun } from '../../training/run';
import { initBackend } from '../../wasm/backend';
import { startPoint } from '../languageModel/start';
import { prepareSeq2seqData, Seq2seqData } from './data';
import type { Seq2seqShape } from './model';
import { seq2seqOptions, Seq2seqOptions } from './options';
import { describeSkips, readPairs } from './pairs';
import { specOptions, type Seq2seqSpec } from './spec';
import { Seq2seqTask } from './task';

/** The problems with a shape that the model cannot take, as the flag to change. */
function checkShape(config: TrainConfig, o: Seq2seqOptions): void {
  const m = config.model;
  if (o.bidirectional && m.hidden % 2 !== 0)
    throw new SeqLabError(
      'E_CONFIG',
      `A bidirectional encoder splits the hidden size between its two directions, so it must be even (got ${m.hidden})`,
      'hidden',
      'Use an even hidden size (a multiple of 8 keeps both halves on the fast training kernel).',
    );
  if (o.tieEmbeddings && m.embedding !== m.hidden)
    throw new SeqLabError(
      'E_CONFIG',
      `Tied embeddings need the embedding size to equal the hidden size (embedding ${m.embedding}, hidden ${m.hidden})`,
      'embedding',
      `Set --embedding ${m.hidden}, or leave the embeddings untied.`,
    );
}

function report(folder: string, d: Seq2seqData): CorpusReport {
  const r = d.splits.report;
  const chars = (ps: { pair: { source: string; target: string } }[]) =>
    ps.reduce((a, p) => a + p.pair.source.length + p.pair.target.length, 0);
  const toks = (ps: { src: Int32Array; tgt: Int32Array }[]) =>
    ps.reduce((a, p) => a + p.src.length + p.tgt.length, 0);
  return {
    folder: path.resolve(folder),
    files: r.files.length,
    trainFiles: d.train.length,
    valFiles: d.val.length,
    trainChars: chars(d.train),
    valChars: chars(d.val),
    trainTokens: toks(d.train),
    valTokens: toks(d.val),
    skipped: [],
    unknownTokens: d.lengths.unknown,
  };
}

/**
 * Trains an encoder–decoder on pairs (a TSV or JSONL file, or a folder of line-aligned files) in
 * the task-independent training loop; resumes a run of this kind from its newest checkpoint.
 */
export async function trainSeq2seq(opts: TrainOptions): Promise<TrainResult> {
  return withTrainingRun(opts, async (run) => {
    if (opts.finetune)
      throw new SeqLabError(
        'E_TASK',
        'Fine-tuning a sequence-to-sequence checkpoint is not available yet',
        opts.finetune.checkpoint,
        'Train a new run on the combined pairs instead.',
      );
    const s = startPoint(opts.folder, opts.config, run.resume, undefined);
    const options = seq2seqOptions(s.config);
    // A resumed run keeps its checkpoint's bridge (runs from before the state bridge: `input`).
    const resumed = s.taskSpec as unknown as Seq2seqSpec | undefined;
    if (resumed?.options) options.bridge = specOptions(resumed).bridge;
    // ...and its input feeding, which its weights were shaped for.
    if (resumed?.options) options.inputFeeding = specOptions(resumed).inputFeeding;
    checkShape(s.config, options);
    // auto calibrates on this run's shape; webgpu trains every task (evaluation reads back asynchronously).
    const backend = await initBackend(
      s.config.backend,
      opts.log,
      calibrationShape(s.config.batch, s.modelConfig),
    );
    const splits = readPairs(s.folder, {
      sourceKey: options.sourceKey,
      targetKey: options.targetKey,
      valFraction: s.config.valFraction,
    });
    const data = prepareSeq2seqData(splits, s.config, options, resumedTokenizers(s.taskSpec));
    if (data.train.length === 0)
      throw new SeqLabError(
        'E_PAIRS',
        `No training pairs are left in ${s.folder} after the length limit (${data.lengths.dropped} dropped as longer than ${options.maxLen} tokens)`,
        '--max-len',
        'Raise --max-len, or use --over-length truncate.',
      );
    const model: ModelConfig = { ...s.modelConfig, vocabSize: data.target.size };
    const shape: Seq2seqShape = { model, sourceVocab: data.source.size, options };
    const recorded: TrainConfig = { ...s.config, task: 'seq2seq', model: s.modelConfig, seq2seq: options };
    run.open(
      s.runDir,
      () => ({ folder: s.folder, tag: `s2s-${model.cell}`, recorded, model, parent: null }),
      s.counters.step,
    );
    const task = run.own(
      new Seq2seqTask({
        shape,
        config: s.config,
        options,
        data,
        weights: s.weights,
        emit: (e) => run.recorder.emit(e),
      }),
    );
    const optimizer = run.own(createOptimizer(s.config, task.lrScale, s.optimizer, s.counters.step));
    run.start(
      backend,
      {
        config: recorded,
        vocabSize: model.vocabSize,
        parameters: task.model.parameterCount,
        corpus: report(s.folder, data),
        resumedFromStep: s.counters.step,
        batch: data.batches.B,
      },
      [
        ...s.notes,
        `pairs: ${data.train.length} train, ${data.val.length} validation (${splits.valFrom === 'hash' ? 'split by hash of the source line' : `from ${splits.valFrom}`})`,
        ...describeSkips(splits.report),
        ...(data.lengths.truncated
          ? [`truncated ${data.lengths.truncated} pair(s) to ${options.maxLen} tokens a side`]
          : []),
        ...(data.lengths.dropped
          ? [`dropped ${data.lengths.dropped} pair(s) longer than ${options.maxLen} tokens a side`]
          : []),
        ...backendNotes(backend, model.hidden),
        ...(options.inputFeeding ? ['input feeding: the decoder runs step by step on TF.js ops'] : []),
      ],
    );
    return run.loop({ task, optimizer, config: recorded, counters: s.counters, parent: s.parent });
  });
}

/** A resumed run's tokenizers, from its checkpoint (the target side shares the source's when one). */
function resumedTokenizers(taskSpec: Record<string, unknown> | undefined) {
  const spec = taskSpec as unknown as Seq2seqSpec | undefined;
  if (!spec) return undefined;
  const source = tokenizerFromJSON(spec.source);
  return { source, target: spec.target ? tokenizerFromJSON(spec.target) : source };
}
