import * as path from 'path';
import type { ModelConfig, TrainConfig } from '../config';
import type { CorpusReport } from '../events';
import { SeqLabError } from '../errors';
import type { ParentRef } from '../checkpoint';
import {
  acquireRunLock,
  createRunDir,
  newRunId,
  lockForResume,
  RunLock,
  runsRootFor,
  writeRunConfig,
} from '../runFolder';
import { writeJsonAtomic } from '../checkpoint';
import { corpusReport, prepareLanguageData } from '../tasks/languageModel/data';
import { startPoint } from '../tasks/languageModel/start';
import type { TrainOptions } from '../trainer';

/** `torch.json` in the run folder: what the Python side needs besides config.json and the shard. */
export interface TorchRunSpec {
  version: 1;
  shard: string;
  /** The resolved training config, as checkpoints record it (engine: 'torch'). */
  config: TrainConfig;
  model: ModelConfig;
  /** The global batch (parallel streams) after fitting it to the corpus. */
  batch: number;
  corpus: CorpusReport;
  /** The sample's prime and its ids (Python decodes, it does not encode). */
  prime: string;
  primeIds: number[];
  unkId: number;
  /** The checkpoint a resume continues from. */
  resumeFrom: string | null;
  parent: ParentRef | null;
  notes: string[];
  device: 'auto' | 'cpu' | 'cuda';
  bf16: boolean;
}

export const TORCH_SPEC_FILE = 'torch.json';

export interface PreparedTorchRun {
  runDir: string;
  spec: TorchRunSpec;
  /** Held by this process for as long as torchrun trains the run. */
  lock: RunLock;
}

export interface TorchPrepareOptions extends Pick<
  TrainOptions,
  'folder' | 'config' | 'out' | 'runId' | 'resume' | 'resumeFrom' | 'patternSource' | 'finetune'
> {
  device?: 'auto' | 'cpu' | 'cuda';
  bf16?: boolean;
}

/** A new run's folder with its config.json. */
function newRun(
  root: string,
  given: string | undefined,
  folder: string,
  config: TrainConfig,
  model: ModelConfig,
  parent: ParentRef | null,
): string {
  const runId = given ?? newRunId(model.cell);
  const runDir = createRunDir(root, runId);
  const createdAt = new Date().toISOString();
  writeRunConfig(runDir, { runId, folder: path.resolve(folder), createdAt, train: config, model, parent });
  return runDir;
}

/**
 * Everything the built-in engine does before its first step, done here once for the PyTorch
 * engine: the config checked, the run folder created (or locked and repaired on resume), the
 * corpus tokenized with SeqLab's tokenizer into a shard (`.seqlab/shards/<key>`, reused while the
 * corpus is unchanged), and torch.json. The run is locked by this process; the caller releases it.
 */
export function prepareTorchRun(opts: TorchPrepareOptions): PreparedTorchRun {
  if (opts.finetune)
    throw new SeqLabError(
      'E_TORCH_FINETUNE',
      'Fine-tuning is not available on the PyTorch engine yet',
      '--engine',
      'Fine-tune on the built-in engine (--engine wasm), then continue that run on PyTorch with seqlab resume <run> --engine torch.',
    );
  const notes: string[] = [];
  let lock: RunLock | undefined;
  try {
    if (opts.resume) lock = lockForResume(opts.resume, notes);
    const resume = opts.resume ? { run: opts.resume, from: opts.resumeFrom } : undefined;
    const s = startPoint(opts.folder, opts.config, resume, undefined);
    // The runs' root holds the shards too (.seqlab/shards), next to .seqlab/runs.
    const root = s.runDir
      ? path.dirname(path.dirname(path.dirname(s.runDir)))
      : runsRootFor(s.folder, opts.out);
    const data = prepareLanguageData(s.folder, s.config, s.tokenizer, s.patternSource ?? opts.patternSource, {
      mode: 'on',
      root,
      log: (line) => notes.push(line),
    });
    data.shard?.close();
    const model: ModelConfig = { ...s.modelConfig, vocabSize: data.tokenizer.vocabSize };
    const config: TrainConfig = { ...s.config, model: s.modelConfig, engine: 'torch' };
    const runDir = s.runDir ?? newRun(root, opts.runId, s.folder, config, model, s.parent);
    lock ??= acquireRunLock(runDir);
    const prime = (data.primeSource ?? '').slice(0, 40).split('\n')[0].slice(0, 24);
    if (data.batcher.B < config.batch)
      notes.push(
        `batch reduced from ${config.batch} to ${data.batcher.B} so that each stream holds at least one window of ${config.seqLen} tokens`,
      );
    const spec: TorchRunSpec = {
      version: 1,
      shard: data.shard!.dir,
      config,
      model,
      batch: data.batcher.B,
      corpus: corpusReport(s.folder, data),
      prime,
      primeIds: Array.from(data.tokenizer.encode(prime)),
      unkId: data.tokenizer.unkId,
      resumeFrom: s.checkpointDir ?? null,
      parent: s.parent,
      notes: [...notes, ...s.notes],
      device: opts.device ?? 'auto',
      bf16: !!opts.bf16,
    };
    writeJsonAtomic(path.join(runDir, TORCH_SPEC_FILE), spec);
    return { runDir, spec, lock };
  } catch (err) {
    lock?.release();
    throw err;
  }
}
