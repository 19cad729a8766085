import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { ModelConfig, TrainConfig } from './config';
import { SeqLabError } from './errors';
import type { TaskKind } from './tasks/kinds';
import { paramShapes, Weights } from './model/shapes';
import { classifierParamShapes, readSpec } from './tasks/classify/spec';
import { tokenizerFromJSON, TokenizerJSON } from './tokenizers';

export const CHECKPOINT_FORMAT = 'seqlab-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface ParentRef {
  /** Absolute path of the checkpoint this run was fine-tuned from. */
  checkpoint: string;
  run?: string;
  step?: number;
}

/** Where training stood, so that a resume continues exactly. */
export interface TrainerState {
  epoch: number;
  /** Next window index within the epoch. */
  window: number;
  rngState: number;
  optimizerStep: number;
  bestValLoss: number | null;
  elapsedSeconds: number;
}

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  name: string;
  model: ModelConfig;
  tokenizer: TokenizerJSON;
  train: TrainConfig;
  step: number;
  tokensSeen: number;
  valLoss: number | null;
  valBpc: number | null;
  createdAt: string;
  parent: ParentRef | null;
  trainer: TrainerState;
  /** sha256 of each .bin file, so a flipped byte is caught, not just a short file. */
  sha256: Record<string, string>;
  /** The kind of model; absent in checkpoints written before there were others (language models). */
  task?: TaskKind;
  /** Owned by the task: what using the checkpoint needs besides the above (labels, normalisation…). */
  taskSpec?: Record<string, unknown>;
  /** The last evaluation's fields (perplexity, accuracy, macro_f1, bleu, mae…), for the tree and tables. */
  metrics?: Record<string, number>;
}

export interface TensorEntry {
  name: string;
  shape: number[];
  data: Float32Array;
}

interface WeightsManifestGroup {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: 'float32' }[];
}

export interface CheckpointData {
  manifest: Omit<CheckpointManifest, 'format' | 'version' | 'sha256'>;
  weights: Weights;
  optimizer: TensorEntry[];
  /** Hidden state carried between windows, for an exact resume. */
  carry: TensorEntry[];
}

/** A TF.js weights manifest (`<base>.json`, readable by tf.io) plus its `.bin`. */
function writeGroup(dir: string, base: string, entries: TensorEntry[]): string {
  const bytes = entries.reduce((a, e) => a + e.data.length * 4, 0);
  const buf = Buffer.alloc(bytes);
  let off = 0;
  for (const e of entries) {
    Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).copy(buf, off);
    off += e.data.byteLength;
  }
  const manifest: WeightsManifestGroup[] = [
    {
      paths: [`${base}.bin`],
      weights: entries.map((e) => ({ name: e.name, shape: e.shape, dtype: 'float32' })),
    },
  ];
  writeFileSynced(path.join(dir, `${base}.json`), JSON.stringify(manifest));
  writeFileSynced(path.join(dir, `${base}.bin`), buf);
  return crypto.createHash('sha256').update(buf).digest('hex');
}

function writeFileSynced(file: string, data: string | Buffer): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes JSON to a temporary file and renames it into place. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  writeFileSynced(tmp, JSON.stringify(value, null, 2));
  fs.renameSync(tmp, file);
}

/** Whether `dir` holds a checkpoint that loads (manifest, checksums, shapes, tokenizer). */
export function checkpointLoads(dir: string): boolean {
  try {
    loadCheckpoint(dir);
    return true;
  } catch {
    return false;
  }
}

/** A unique temporary sibling name of `dir`: `.tmp-<name>-<pid>-<hex>[-<suffix>]`. */
export function tempSibling(dir: string, suffix = ''): string {
  const name = `.tmp-${path.basename(dir)}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  return path.join(path.dirname(dir), suffix ? `${name}-${suffix}` : name);
}

/**
 * Deletes a checkpoint folder without ever leaving a half-deleted one under its final name: it is
 * renamed to a `-deleted` temporary first (one atomic step), then removed. A crash in between leaves
 * only the temporary, which the next start sweeps away.
 */
export function removeCheckpointDir(dir: string): void {
  if (!fs.existsSync(dir)) return;
  const doomed = tempSibling(dir, 'deleted');
  fs.renameSync(dir, doomed);
  fs.rmSync(doomed, { recursive: true, force: true });
}

/**
 * Writes the checkpoint into a temporary sibling folder and renames it into place, so that a
 * crash or a full disk never leaves a partial checkpoint under its final name.
 *
 * A checkpoint that already exists under `dir` and loads is kept as it is: in a run the same step
 * means the same weights (a resumed finished run re-saves its final step), and moving a good
 * checkpoint aside to replace it opens a window in which a crash leaves none under that name.
 * One that does not load is deleted (renamed away first) before the new one takes its name.
 */
export function saveCheckpoint(dir: string, data: CheckpointData): string {
  const parent = path.dirname(dir);
  if (fs.existsSync(dir) && checkpointLoads(dir)) return dir;
  const tmp = tempSibling(dir);
  try {
    fs.mkdirSync(parent, { recursive: true });
    fs.mkdirSync(tmp);
    const sha256: Record<string, string> = {};
    const weights = [...data.weights].map(([name, w]) => ({ name, shape: w.shape, data: w.data }));
    sha256['weights.bin'] = writeGroup(tmp, 'weights', weights);
    sha256['optimizer.bin'] = writeGroup(tmp, 'optimizer', data.optimizer);
    sha256['carry.bin'] = writeGroup(tmp, 'carry', data.carry);
    const manifest: CheckpointManifest = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      ...data.manifest,
      sha256,
    };
    writeFileSynced(path.join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
    removeCheckpointDir(dir);
    fs.renameSync(tmp, dir);
    return dir;
  } catch (err) {
    try {
      fs.rmSync(tmp, { recursive: true, force: true });
    } catch {
      // Nothing to clean up, or the folder itself is what failed.
    }
    throw saveError(dir, err as NodeJS.ErrnoException);
  }
}

function saveError(dir: string, e: NodeJS.ErrnoException): SeqLabError {
  const hint =
    e.code === 'ENOSPC'
      ? 'The disk is full: free some space or choose another output folder (--out).'
      : e.code === 'EACCES' || e.code === 'EROFS' || e.code === 'EPERM'
        ? 'The output folder is not writable: choose another one (--out).'
        : e.code === 'ENOTDIR' || e.code === 'EEXIST'
          ? 'A file is in the way of the output folder: choose another one (--out).'
          : 'Check the output folder.';
  return new SeqLabError('E_SAVE', `Could not save checkpoint ${dir}: ${e.message}`, dir, hint);
}

function corrupt(file: string, what: string): never {
  throw new SeqLabError(
    'E_CHECKPOINT',
    `Checkpoint file ${file} ${what}`,
    file,
    'Use another checkpoint, or delete this one.',
  );
}

export function readManifest(dir: string): CheckpointManifest {
  const file = path.join(dir, 'manifest.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    if (!fs.existsSync(dir))
      throw new SeqLabError(
        'E_CHECKPOINT',
        `Checkpoint not found: ${dir}`,
        dir,
        'Check the path; it may have been deleted.',
      );
    corrupt(file, 'is missing');
  }
  let m: CheckpointManifest;
  try {
    m = JSON.parse(text);
  } catch (err) {
    corrupt(file, `is not valid JSON (${(err as Error).message})`);
  }
  if (m?.format !== CHECKPOINT_FORMAT) corrupt(file, 'is not a SeqLab checkpoint manifest');
  if (m.version !== CHECKPOINT_VERSION)
    throw new SeqLabError(
      'E_CHECKPOINT_VERSION',
      `Checkpoint ${dir} has format version ${m.version}; this SeqLab reads version ${CHECKPOINT_VERSION}`,
      file,
      'Upgrade SeqLab, or retrain.',
    );
  for (const k of ['model', 'tokenizer', 'train', 'trainer'] as const)
    if (!m[k] || typeof m[k] !== 'object') corrupt(file, `has no "${k}"`);
  // Every checkpoint SeqLab has written carries its checksums; without them a flipped byte loads.
  for (const bin of ['weights.bin', 'optimizer.bin', 'carry.bin'])
    if (typeof m.sha256?.[bin] !== 'string') corrupt(file, `has no sha256 checksum for ${bin}`);
  // Checkpoints written before `init` existed were initialised (and parametrized) the Keras way;
  // filling it here keeps resume and fine-tune from failing validation or changing the math.
  m.train.init ??= 'keras';
  return m;
}

function readGroup(dir: string, base: string, expectedSha: string): TensorEntry[] {
  const jsonFile = path.join(dir, `${base}.json`);
  const binFile = path.join(dir, `${base}.bin`);
  let groups: WeightsManifestGroup[];
  try {
    groups = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
  } catch (err) {
    corrupt(jsonFile, `cannot be read (${(err as Error).message})`);
  }
  if (!Array.isArray(groups) || groups.length !== 1 || !Array.isArray(groups[0].weights))
    corrupt(jsonFile, 'is not a weights manifest');
  for (const w of groups[0].weights)
    if (
      typeof w?.name !== 'string' ||
      !Array.isArray(w.shape) ||
      !w.shape.every((d) => Number.isInteger(d) && d >= 0)
    )
      corrupt(jsonFile, `has a tensor with a malformed name or shape (${JSON.stringify(w).slice(0, 80)})`);
  let buf: Buffer;
  try {
    buf = fs.readFileSync(binFile);
  } catch {
    corrupt(binFile, 'is missing');
  }
  const need = groups[0].weights.reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1) * 4, 0);
  if (buf.length !== need)
    corrupt(
      binFile,
      `is ${buf.length < need ? 'truncated' : 'too long'} (${buf.length} bytes, expected ${need})`,
    );
  if (crypto.createHash('sha256').update(buf).digest('hex') !== expectedSha)
    corrupt(binFile, 'is corrupt (checksum mismatch)');
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  let off = 0;
  return groups[0].weights.map((w) => {
    const n = w.shape.reduce((x, y) => x * y, 1);
    const e = { name: w.name, shape: w.shape, data: all.subarray(off, off + n) };
    off += n;
    return e;
  });
}

/** The tokenizer must build and cover exactly the model's vocabulary, or every id is wrong. */
function checkTokenizer(file: string, m: CheckpointManifest): void {
  // A numeric model (forecaster) reads no tokens; its manifest holds a placeholder tokenizer.
  if (m.model.inputs !== undefined) return;
  let vocab: number;
  try {
    vocab = tokenizerFromJSON(m.tokenizer).vocabSize;
  } catch (err) {
    corrupt(file, `has a tokenizer that cannot be read (${(err as Error).message})`);
  }
  if (vocab !== m.model.vocabSize)
    corrupt(file, `has a tokenizer of ${vocab} tokens for a model of ${m.model.vocabSize}`);
}

/** Loads and checks a checkpoint: format version, checksums, file sizes and every tensor shape. */
export function loadCheckpoint(dir: string): CheckpointData & { manifest: CheckpointManifest } {
  const manifest = readManifest(dir);
  const manifestFile = path.join(dir, 'manifest.json');
  checkTokenizer(manifestFile, manifest);
  const weightList = readGroup(dir, 'weights', manifest.sha256['weights.bin']);
  const weights: Weights = new Map(weightList.map((e) => [e.name, { shape: e.shape, data: e.data }]));
  let shapes: [string, number[]][];
  try {
    shapes =
      // A classifier's head depends on its labels (taskSpec); without one, it has a language model's shapes.
      manifest.task === 'classify' && manifest.taskSpec
        ? classifierParamShapes(manifest.model, readSpec(manifest.taskSpec))
        : paramShapes(manifest.model);
  } catch (err) {
    corrupt(manifestFile, `has a model config that cannot be read (${(err as Error).message})`);
  }
  for (const [name, shape] of shapes) {
    const w = weights.get(name);
    if (!w) corrupt(path.join(dir, 'weights.json'), `has no tensor "${name}"`);
    if (w.shape.join(',') !== shape.join(','))
      corrupt(
        path.join(dir, 'weights.json'),
        `gives "${name}" shape [${w.shape}] but the model config needs [${shape}]`,
      );
  }
  const optimizer = readGroup(dir, 'optimizer', manifest.sha256['optimizer.bin']);
  const carry = readGroup(dir, 'carry', manifest.sha256['carry.bin']);
  return { manifest, weights, optimizer, carry };
}
