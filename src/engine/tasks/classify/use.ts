import * as path from 'path';
import { CheckpointManifest, loadCheckpoint } from '../../checkpoint';
import { SeqLabError } from '../../errors';
import { Tokenizer, tokenizerFromJSON } from '../../tokenizers';
import { BackendChoice, initBackend } from '../../wasm/backend';
import { cpuBackendOf } from '../../wasm/backendNames';
import { requireTask } from '../kinds';
import { encodeExample, encodeSet } from './batch';
import { readLabelledData, ReadLabelledOptions } from './data';
import { ClassifierEval, evaluateClassifier, predictProbs } from './evaluate';
import { ClassifierNet } from './model';
import { ClassifierSpec, readSpec } from './spec';

/** A classifier checkpoint loaded for use. Dispose it when done. */
export interface LoadedClassifier {
  net: ClassifierNet;
  tokenizer: Tokenizer;
  spec: ClassifierSpec;
  manifest: CheckpointManifest;
  dispose(): void;
}

/** Loads a classifier checkpoint; any other kind is refused with a message naming what `action` needs. */
export async function loadClassifier(
  checkpoint: string,
  action: string,
  backend: BackendChoice = 'wasm',
): Promise<LoadedClassifier> {
  const dir = path.resolve(checkpoint);
  const data = loadCheckpoint(dir);
  requireTask(dir, data.manifest, 'classify', action);
  await initBackend(cpuBackendOf(backend));
  const spec = readSpec(data.manifest.taskSpec);
  const net = new ClassifierNet(data.manifest.model, spec, data.weights);
  return {
    net,
    tokenizer: tokenizerFromJSON(data.manifest.tokenizer),
    spec,
    manifest: data.manifest,
    dispose: () => net.dispose(),
  };
}

export interface Prediction {
  label: string;
  /** Probability of each label, by name, in the checkpoint's label order. */
  probabilities: Record<string, number>;
}

export async function classifyTexts(c: LoadedClassifier, texts: string[], batch = 32): Promise<Prediction[]> {
  const seqs = texts.map((t) => encodeExample(c.tokenizer, t, c.spec.maxLen, c.spec.keep));
  const C = c.spec.labels.length;
  const p = await predictProbs(c.net, seqs, batch);
  return texts.map((_, i) => {
    const row = Array.from(p.subarray(i * C, (i + 1) * C));
    const best = row.indexOf(Math.max(...row));
    return {
      label: c.spec.labels[best],
      probabilities: Object.fromEntries(c.spec.labels.map((l, j) => [l, row[j]])),
    };
  });
}

export interface FolderEval extends ClassifierEval {
  labels: string[];
  examples: number;
  skipped: number;
}

/**
 * Evaluates a classifier on labelled data (a folder per label or a table): all of it, or only its
 * test/ (val/) split when it has train/ and test/ folders. Labels the classifier does not know
 * are an error naming them.
 */
export async function evaluateClassifierOn(
  checkpoint: string,
  source: string,
  opts: ReadLabelledOptions & { backend?: BackendChoice; batch?: number } = {},
): Promise<FolderEval> {
  const c = await loadClassifier(checkpoint, 'Evaluating a classifier', opts.backend);
  try {
    const data = readLabelledData(source, { ...opts, valFraction: 0, minLabels: 1 });
    const xs = data.split === 'folders' ? data.val : [...data.train, ...data.val];
    const unknown = [...new Set(xs.map((x) => x.label))].filter((l) => !c.spec.labels.includes(l));
    if (unknown.length)
      throw new SeqLabError(
        'E_DATA',
        `${source} has labels the classifier was not trained on: ${unknown.join(', ')} (it knows ${c.spec.labels.join(', ')})`,
        source,
        'Evaluate on data with the same labels, or train a classifier on these.',
      );
    const set = encodeSet(xs, c.tokenizer, c.spec.labels, c.spec.maxLen, c.spec.keep);
    const r = await evaluateClassifier(c.net, set, opts.batch ?? 32);
    return { ...r, labels: c.spec.labels, examples: xs.length, skipped: data.skipped.length };
  } finally {
    c.dispose();
  }
}
