import * as path from 'path';
import { loadCheckpoint, ParentRef, TensorEntry } from '../../checkpoint';
import { ModelConfig, TrainConfig, validateConfig } from '../../config';
import type { Weights } from '../../model/shapes';
import { Tokenizer, tokenizerFromJSON } from '../../tokenizers';
import { freshCounters, LoopCounters } from '../../training/counters';
import { requireTask } from '../kinds';
import { ResumeOptions, startPoint } from '../languageModel/start';
import { ClassifierSpec, classifyOptions, ClassifyOptions, readSpec } from './spec';

/** Where a classifier run starts: fresh, resumed, or from a language model's encoder (ULMFiT). */
export interface ClassifierStart {
  config: TrainConfig;
  options: ClassifyOptions;
  /** The model's shape without its vocabulary (fixed by the tokenizer once built). */
  modelConfig: Omit<ModelConfig, 'vocabSize'>;
  folder: string;
  runDir?: string;
  tokenizer?: Tokenizer;
  /** Resuming: the checkpoint's spec (its labels fix the head). */
  spec?: ClassifierSpec;
  weights?: Weights;
  optimizer: TensorEntry[];
  counters: LoopCounters;
  parent: ParentRef | null;
  fromLanguageModel: boolean;
  notes: string[];
}

export function classifierStart(
  folder: string,
  given: TrainConfig,
  resume: ResumeOptions | undefined,
  lmCheckpoint: string | undefined,
): ClassifierStart {
  if (resume) {
    const s = startPoint(folder, given, resume, undefined);
    return {
      config: s.config,
      options: classifyOptions(s.config.classify),
      modelConfig: s.modelConfig,
      folder: s.folder,
      runDir: s.runDir,
      tokenizer: s.tokenizer,
      spec: readSpec(s.taskSpec),
      weights: s.weights,
      optimizer: s.optimizer,
      counters: s.counters,
      parent: s.parent,
      fromLanguageModel: s.parent !== null,
      notes: s.notes,
    };
  }
  const config = validateConfig(given);
  const options = classifyOptions(config.classify);
  if (!lmCheckpoint)
    return {
      config,
      options,
      modelConfig: config.model,
      folder,
      optimizer: [],
      counters: freshCounters(),
      parent: null,
      fromLanguageModel: false,
      notes: [],
    };
  const src = path.resolve(lmCheckpoint);
  const data = loadCheckpoint(src);
  requireTask(src, data.manifest, 'lm', 'Fine-tuning as a classifier');
  const notes: string[] = [];
  if (options.bidirectional)
    notes.push(
      'a language model reads forwards only: the classifier fine-tuned from it is not bidirectional',
    );
  const base = data.manifest.model;
  const modelConfig = { ...base, dropout: config.model.dropout };
  // The encoder: the language model's embedding and recurrent layers; its output layer is left behind.
  const weights: Weights = new Map(
    [...data.weights].filter(([k]) => k === 'embedding' || k.startsWith('layer_')),
  );
  return {
    config: {
      ...config,
      tokenizer: data.manifest.tokenizer.kind,
      model: { ...modelConfig },
      classify: { ...options, bidirectional: false },
    },
    options: { ...options, bidirectional: false },
    modelConfig,
    folder,
    tokenizer: tokenizerFromJSON(data.manifest.tokenizer),
    weights,
    optimizer: [],
    counters: freshCounters(),
    parent: {
      checkpoint: src,
      run: path.basename(path.dirname(path.dirname(src))),
      step: data.manifest.step,
    },
    fromLanguageModel: true,
    notes,
  };
}
