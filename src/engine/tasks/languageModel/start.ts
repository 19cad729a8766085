import { requireTask } from '../kinds';
import * as fs from 'fs';
import * as path from 'path';
import { CheckpointManifest, CheckpointData, loadCheckpoint, ParentRef, TensorEntry } from '../../checkpoint';
import { ModelConfig, TrainConfig, validateConfig } from '../../config';
import { SeqLabError } from '../../errors';
import { initLayerWeights, Weights } from '../../model/model';
import { Rng } from '../../rng';
import { listCheckpointEntries, readRunConfig, resumeRunDir, runPaths } from '../../runFolder';
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
  /** Set when resuming: the checkpoint folder it continues from (the PyTorch engine loads it itself). */
  checkpointDir?: string;
  tokenizer?: Tokenizer;
  weights?: Weights;
  optimizer: TensorEntry[];
  carry: TensorEntry[];
  counters: LoopCounters;
  parent: ParentRef | null;
  /** Where the corpus patterns came from, for a refused pattern's message. */
  patternSource?: string;
  /** What the start had to work around (a checkpoint skipped on resume), for the run's log. */
  notes: string[];
  /** Resuming: the checkpoint's taskSpec (a classifier's labels and shape). */
  taskSpec?: Record<string, unknown>;
}

export interface ResumeOptions {
  /** The run folder to continue. */
  run: string;
  /** A checkpoint of that run (its folder, or its name `step-…`); default: the newest that loads. */
  from?: string;
}

export function startPoint(
  folder: string,
  given: TrainConfig,
  resume: ResumeOptions | undefined,
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
    notes: [],
  };
}

type Loaded = CheckpointData & { manifest: CheckpointManifest; dir?: string };

/** The checkpoint named by `from` (a folder, or a name in the run); it must belong to the run. */
function namedCheckpoint(runDir: string, from: string): Loaded {
  const ckDir = runPaths(runDir).checkpoints;
  const dir = fs.existsSync(path.join(ckDir, from)) ? path.join(ckDir, from) : path.resolve(from);
  if (path.dirname(dir) !== ckDir)
    throw new SeqLabError(
      'E_RESUME',
      `Checkpoint ${dir} is not one of run ${path.basename(runDir)}'s checkpoints`,
      dir,
      `Give a checkpoint under ${ckDir}, or fine-tune from it (seqlab finetune) to start a new run.`,
    );
  return { ...loadCheckpoint(dir), dir };
}

/**
 * The newest checkpoint of the run that loads. One that does not (damaged, truncated) is skipped
 * with a note saying which and why, so that a damaged newest checkpoint does not block a resume
 * that an older one can serve.
 */
function newestLoadable(runDir: string, notes: string[]): Loaded {
  const errors: string[] = [];
  for (const c of listCheckpointEntries(runDir).filter((e) => !e.inProgress)) {
    try {
      const data = loadCheckpoint(c.dir);
      if (errors.length) notes.push(`resuming from ${c.name}, the newest checkpoint that loads`);
      return { ...data, dir: c.dir };
    } catch (err) {
      const why = (err as Error).message;
      errors.push(why);
      notes.push(`skipped checkpoint ${c.name}: ${why}`);
    }
  }
  throw new SeqLabError(
    'E_RESUME',
    errors.length
      ? `None of run ${runDir}'s ${errors.length} checkpoints loads (newest: ${errors[0]})`
      : `Run ${runDir} has no checkpoint to resume from`,
    runDir,
    errors.length
      ? 'Start a new run instead, or restore a checkpoint from a backup.'
      : 'Start a new run instead.',
  );
}

/** Why config.json could not be read, in words. */
function configProblem(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return `cannot be read (${(err as Error).message})`;
  }
  try {
    JSON.parse(text);
  } catch (err) {
    return `is not valid JSON (${(err as Error).message})`;
  }
  return 'is not a JSON object';
}

/** config.json's training folder, checked: a hand edit must still name an existing folder or file. */
function runFolderOf(runDir: string): string {
  const file = runPaths(runDir).config;
  const runCfg = readRunConfig(runDir);
  if (!runCfg || typeof runCfg !== 'object')
    throw new SeqLabError(
      'E_RESUME',
      `${file} ${configProblem(file)}`,
      file,
      'Restore config.json (it records the training folder), or fine-tune from a checkpoint of the run instead.',
    );
  const folder: unknown = runCfg.folder;
  if (typeof folder !== 'string' || !folder)
    throw new SeqLabError(
      'E_RESUME',
      `${file} has no "folder" (the folder the run trains on), or it is not a string`,
      file,
      'Set "folder" in config.json to the path of the training folder.',
    );
  if (!fs.existsSync(folder))
    throw new SeqLabError(
      'E_RESUME',
      `The training folder ${folder} named in ${file} does not exist`,
      file,
      'Restore that folder, or set "folder" in config.json to where it is now.',
    );
  return folder;
}

function resumePoint(resume: ResumeOptions, given: TrainConfig): StartPoint {
  const runDir = resumeRunDir(resume.run);
  const notes: string[] = [];
  const folder = runFolderOf(runDir);
  const data = resume.from ? namedCheckpoint(runDir, resume.from) : newestLoadable(runDir, notes);
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
    folder,
    runDir,
    checkpointDir: data.dir,
    tokenizer: tokenizerFromJSON(m.tokenizer),
    weights: data.weights,
    optimizer: data.optimizer,
    carry: data.carry,
    counters: countersFromManifest(m),
    parent: m.parent,
    patternSource: runPaths(runDir).config,
    notes,
    taskSpec: m.taskSpec,
  };
}

function finetunePoint(folder: string, config: TrainConfig, ft: FinetuneOptions): StartPoint {
  const src = path.resolve(ft.checkpoint);
  const data = loadCheckpoint(src);
  requireTask(src, data.manifest, 'lm', 'Fine-tuning a language model');
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
    notes: [],
  };
}
