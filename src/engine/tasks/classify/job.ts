import * as fs from 'fs';
import { classifyTexts, evaluateClassifierOn, loadClassifier, Prediction } from './use';

/**
 * What the editor asks a worker to do with a classifier (TF.js stays off the extension host):
 * classify texts, classify files, or evaluate on labelled data.
 */
export interface ClassifierJob {
  checkpoint: string;
  texts?: string[];
  files?: string[];
  /** Evaluate on this folder or table instead of classifying. */
  evaluateOn?: string;
  backend: 'wasm' | 'cpu';
}

export interface ClassifierJobResult {
  labels: string[];
  predictions?: Prediction[];
  evaluation?: {
    accuracy: number;
    macro_f1: number;
    loss: number;
    examples: number;
    precision: number[];
    recall: number[];
    f1: number[];
    support: number[];
    confusion: number[][];
  };
}

export async function runClassifierJob(job: ClassifierJob): Promise<ClassifierJobResult> {
  if (job.evaluateOn) {
    const r = await evaluateClassifierOn(job.checkpoint, job.evaluateOn, { backend: job.backend });
    const m = r.metrics;
    return {
      labels: r.labels,
      evaluation: {
        accuracy: m.accuracy,
        macro_f1: m.macro_f1,
        loss: r.loss,
        examples: r.examples,
        precision: m.precision,
        recall: m.recall,
        f1: m.f1,
        support: m.support,
        confusion: m.confusion,
      },
    };
  }
  const c = await loadClassifier(
    job.checkpoint,
    job.files ? 'Classifying files' : 'Classifying text',
    job.backend,
  );
  try {
    const texts = job.texts ?? (job.files ?? []).map((f) => fs.readFileSync(f, 'utf8'));
    return { labels: c.spec.labels, predictions: await classifyTexts(c, texts) };
  } finally {
    c.dispose();
  }
}
