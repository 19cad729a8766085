import * as path from 'path';
import { loadCheckpoint, ParentRef, TensorEntry } from '../../checkpoint';
import { ModelConfig, TrainConfig, validateConfig } from '../../config';
import { SeqLabError } from '../../errors';
import { initLayerWeights, Weights } from '../../model/model';
import { Rng } from '../../rng';
import { latestCheckpoint, readRunConfig } from '../../runFolder';
import { Tokenizer, tokenizerFromJSON } from '../../tokenizers';
import { countersFromManifest, freshCounters, LoopCounters } from '../../training/counters';

export interface FinetuneOptions {
  checkpoint: string;
  freezeEmbedding?: boolean;
  /** Freeze layers 0..freezeLayers-1. */
  freezeLayers?: number;
  addLayer?: boolean;
}

/** Where a language-model run starts: fresh, resumed from its latest checkpoint, or fine-tuned. */
export interface StartPoint {
  config: TrainConfig;
  modelConfig: Omit<ModelConfig, 'vocabSize'>;
  folder: string;
  /** Set when resuming: the run folder to continue. */
  runDir?: string;
  tokenizer?: Tokenizer;
  weights?: Weights;
  optimizer: TensorEntry[];
  carry: TensorEntry[];
  counters: LoopCounters;
  parent: ParentRef | null;
}

export function startPoint(
  folder: string,
  given: TrainConfig,
  resume: string | undefined,
  finetune: FinetuneOptions | undefined,
): StartPoint {
  const config = validateConfig(given);
  if (resume) return resumePoint(resume, given);
  if (finetune) return finetunePoint(folder, config, finetune);
  return {
    config,
    modelConfig: config.model,
    folder,
    optimizer: [],
    carry: [],
    counters: freshCounters(),
    parent: null,
  };
}

function resumePoint(resume: string, given: TrainConfig): StartPoint {
  const runDir = path.resolve(resume);
  const ck = latestCheckpoint(runDir);
  if (!ck)
    throw new SeqLabError(
      'E_RESUME',
      `Run ${runDir} has no checkpoint to resume from`,
      runDir,
      'Start a new run instead.',
    );
  const data = loadCheckpoint(ck);
  const runCfg = readRunConfig(runDir);
  if (!runCfg)
    throw new SeqLabError(
      'E_RESUME',
      `Run ${runDir} has no readable config.json`,
      path.join(runDir, 'config.json'),
      'Fine-tune from its checkpoint instead, or start a new run.',
    );
  // Limits given now extend the run (steps: a new total; time: seconds more than it has
  // already trained); without them the run keeps its own. Everything that shapes the math stays.
  const m = data.manifest;
  const trainedFor = m.trainer.elapsedSeconds;
  const config = validateConfig({
    ...m.train,
    steps: given.steps || m.train.steps,
    timeSeconds: given.timeSeconds > 0 ? trainedFor + given.timeSeconds : m.train.timeSeconds,
    epochs: given.epochs || m.train.epochs,
  });
  return {
    config,
    modelConfig: m.model,
    folder: runCfg.folder,
    runDir,
    tokenizer: tokenizerFromJSON(m.tokenizer),
    weights: data.weights,
    optimizer: data.optimizer,
    carry: data.carry,
    counters: countersFromManifest(m),
    parent: m.parent,
  };
}

function finetunePoint(folder: string, config: TrainConfig, ft: FinetuneOptions): StartPoint {
  const src = path.resolve(ft.checkpoint);
  const data = loadCheckpoint(src);
  const tokenizer = tokenizerFromJSON(data.manifest.tokenizer);
  const base = data.manifest.model;
  const modelConfig = { ...base, dropout: config.model.dropout, layers: base.layers + (ft.addLayer ? 1 : 0) };
  const weights = new Map(data.weights);
  if (ft.addLayer) {
    const grown = { ...base, layers: base.layers + 1 };
    for (const [k, v] of initLayerWeights(grown, base.layers, new Rng(config.seed + 1), config.init))
      weights.set(k, v);
  }
  return {
    config: { ...config, tokenizer: tokenizer.kind, model: { ...modelConfig } },
    modelConfig,
    folder,
    tokenizer,
    weights,
    optimizer: [],
    carry: [],
    counters: freshCounters(),
    parent: {
      checkpoint: src,
      run: path.basename(path.dirname(path.dirname(src))),
      step: data.manifest.step,
    },
  };
}
