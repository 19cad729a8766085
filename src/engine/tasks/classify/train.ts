import * as fs from 'fs';
import { calibrationShape } from '../../gpu/calibrate';
import * as os from 'os';
import * as path from 'path';
import { loadCheckpoint } from '../../checkpoint';
import type { ModelConfig, TrainConfig } from '../../config';
import { SeqLabError } from '../../errors';
import type { CorpusReport } from '../../events';
import { runsRootFor } from '../../runFolder';
import { initBackend } from '../../wasm/backend';
import { trainTokenizer, Tokenizer } from '../../tokenizers';
import { train as trainLanguageModel, TrainOptions, TrainResult } from '../../trainer';
import { createOptimizer } from '../../training/optimizer';
import { backendNotes, withTrainingRun } from '../../training/run';
import { majorityBaseline, naiveBayesBaseline } from './baselines';
import { EncodedSet, encodeSet } from './batch';
import { countLabels, LabelledData, readLabelledData } from './data';
import { ClassifierSpec, specOf } from './spec';
import { ClassifierStart, classifierStart } from './start';
import { ClassifierTask } from './task';

function corpusReport(
  folder: string,
  d: LabelledData,
  trainTokens: number,
  valTokens: number,
  unknown: number,
): CorpusReport {
  const chars = (xs: { text: string }[]) => xs.reduce((a, x) => a + x.text.length, 0);
  return {
    folder,
    files: d.train.length + d.val.length,
    trainFiles: d.train.length,
    valFiles: d.val.length,
    trainChars: chars(d.train),
    valChars: chars(d.val),
    trainTokens,
    valTokens,
    skipped: d.skipped,
    unknownTokens: unknown,
  };
}

/**
 * Tokens the tokenizer could not represent: a classifier fine-tuned from a language model keeps
 * that model's vocabulary, so characters its corpus lacked become `<unk>` here.
 */
function unknownIn(train: EncodedSet, val: EncodedSet, tok: Tokenizer): number {
  if (tok.unkId < 0) return 0;
  let n = 0;
  for (const s of [...train.seqs, ...val.seqs]) for (const id of s) if (id === tok.unkId) n++;
  return n;
}

/** "pos 120 (train 108, val 12) · neg 95 (…)": the labels and counts, for the run's log. */
export function labelSummary(d: LabelledData): string {
  const tr = countLabels(d.train);
  const va = countLabels(d.val);
  return d.labels
    .map(
      (l) => `${l} ${(tr.get(l) ?? 0) + (va.get(l) ?? 0)} (train ${tr.get(l) ?? 0}, val ${va.get(l) ?? 0})`,
    )
    .join(' · ');
}

/**
 * ULMFiT's second stage: the language model first learns the target texts (the training split's,
 * without labels) for `lmSteps` steps, as a run of its own beside the classifier's; the classifier
 * then starts from that run's last checkpoint instead.
 */
async function fineTuneLanguageModelFirst(
  s: ClassifierStart,
  data: LabelledData,
  opts: TrainOptions,
  notes: string[],
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-lm-target-'));
  const file = path.join(dir, 'target-texts.txt');
  try {
    fs.writeFileSync(file, data.train.map((x) => x.text.trim()).join('\n\n') + '\n');
    const lm = await trainLanguageModel({
      folder: file,
      out: runsRootFor(s.folder, opts.out),
      config: {
        ...s.config,
        task: 'lm',
        steps: s.options.lmSteps,
        timeSeconds: 0,
        epochs: 0,
        evalEvery: s.options.lmSteps,
        sampleLength: 0,
      },
      finetune: { checkpoint: s.parent!.checkpoint },
      shouldStop: opts.shouldStop,
      log: opts.log,
    });
    if (!lm.checkpoint)
      throw new SeqLabError(
        'E_TRAIN',
        'Fine-tuning the language model on the target texts left no checkpoint',
        lm.runDir,
        'Run again without --lm-steps.',
      );
    const d = loadCheckpoint(lm.checkpoint);
    s.weights = new Map([...d.weights].filter(([k]) => k === 'embedding' || k.startsWith('layer_')));
    s.parent = { checkpoint: lm.checkpoint, run: path.basename(lm.runDir), step: d.manifest.step };
    notes.push(
      `language model fine-tuned on the ${data.train.length} training texts for ${lm.step} steps (validation loss ${lm.valLoss?.toFixed(4) ?? '–'}) → ${lm.checkpoint}; the classifier starts from it`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The tokenizer (built, or the start's), the head's labels, the encoded splits and the baselines. */
function encodeAndBaselines(s: ClassifierStart, data: LabelledData) {
  const tokenizer =
    s.tokenizer ??
    trainTokenizer(
      s.config.tokenizer,
      data.train.map((x) => x.text),
      s.config.vocabSize,
    );
  const spec: ClassifierSpec =
    s.spec ?? specOf(data.labels, s.options, s.fromLanguageModel || s.options.standardize === true);
  const unknownLabels = data.labels.filter((l) => !spec.labels.includes(l));
  if (unknownLabels.length)
    throw new SeqLabError(
      'E_DATA',
      `The data has labels the resumed classifier does not know: ${unknownLabels.join(', ')}`,
      s.folder,
      'Resume on the data the run started with, or start a new run.',
    );
  const train = encodeSet(data.train, tokenizer, spec.labels, spec.maxLen, spec.keep);
  const val = encodeSet(data.val, tokenizer, spec.labels, spec.maxLen, spec.keep);
  const C = spec.labels.length;
  const baselines = [
    majorityBaseline(train.labels, val.labels, C),
    naiveBayesBaseline(
      data.train.map((x) => x.text),
      train.labels,
      data.val.map((x) => x.text),
      val.labels,
      C,
    ),
  ];
  return { tokenizer, spec, train, val, baselines };
}

/**
 * Trains a classifier (`--task classify`): reads the labelled data, builds or reuses the tokenizer,
 * fits the baselines on the same split, and runs the classifier task in the training loop.
 * Fine-tuning from a language model (`opts.finetune.checkpoint`) takes its tokenizer, embedding
 * and recurrent layers as the encoder.
 */
export async function trainClassifier(opts: TrainOptions): Promise<TrainResult> {
  return withTrainingRun(opts, async (run) => {
    const s = classifierStart(opts.folder, opts.config, run.resume, opts.finetune?.checkpoint);
    // auto calibrates on this run's shape; webgpu trains every task (evaluation reads back asynchronously).
    const backend = await initBackend(
      s.config.backend,
      opts.log,
      calibrationShape(s.config.batch, s.modelConfig),
    );
    const o = s.options;
    const data = readLabelledData(s.folder, {
      valFraction: s.config.valFraction,
      textColumn: o.textColumn,
      labelColumn: o.labelColumn,
      maxFileBytes: s.config.maxFileBytes,
    });
    const notes: string[] = [];
    if (s.fromLanguageModel && !opts.resume && o.lmSteps > 0)
      await fineTuneLanguageModelFirst(s, data, opts, notes);
    const { tokenizer, spec, train, val, baselines } = encodeAndBaselines(s, data);
    const model: ModelConfig = { ...s.modelConfig, vocabSize: tokenizer.vocabSize };
    const recorded: TrainConfig = { ...s.config, task: 'classify', model: s.modelConfig, classify: { ...o } };
    run.open(
      s.runDir,
      () => ({ folder: s.folder, tag: model.cell, recorded, model, parent: s.parent }),
      s.counters.step,
    );
    const task = run.own(
      await ClassifierTask.create({
        model,
        spec,
        options: o,
        config: s.config,
        tokenizer,
        train,
        val,
        baselines,
        weights: s.weights,
        epoch: s.counters.epoch,
        step: s.counters.step,
        fromLanguageModel: s.fromLanguageModel,
        emit: (e) => run.recorder.emit(e),
      }),
    );
    const optimizer = run.own(createOptimizer(s.config, task.lrScale, s.optimizer, s.counters.step));
    const tokens = (xs: Int32Array[]) => xs.reduce((a, x) => a + x.length, 0);
    run.start(
      backend,
      {
        config: recorded,
        vocabSize: tokenizer.vocabSize,
        parameters: task.parameters,
        corpus: corpusReport(
          s.folder,
          data,
          tokens(train.seqs),
          tokens(val.seqs),
          unknownIn(train, val, tokenizer),
        ),
        resumedFromStep: s.counters.step,
        batch: Math.min(s.config.batch, train.seqs.length),
      },
      [
        `labels: ${labelSummary(data)} (${data.split === 'folders' ? 'train/ and test/ folders' : 'split by hash of each example, stratified'})`,
        ...baselines.map(
          (b) => `baseline ${b.name}: accuracy ${b.accuracy.toFixed(3)}, macro-F1 ${b.macro_f1.toFixed(3)}`,
        ),
        ...data.warnings,
        ...notes,
        ...s.notes,
        ...backendNotes(backend, model.hidden),
      ],
    );
    return run.loop({ task, optimizer, config: recorded, counters: s.counters, parent: s.parent });
  });
}
