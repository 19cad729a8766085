import * as tf from '@tensorflow/tfjs';
import { readValues } from '../../training/reads';
import { EncodedSet, makeBatch } from './batch';
import type { Example } from './data';
import { argmaxRow, ClassMetrics, classMetrics } from './metrics';
import type { ClassifierNet } from './model';

export interface Misclassified {
  example: Example;
  truth: number;
  predicted: number;
  /** The predicted label's probability. */
  probability: number;
}

export interface ClassifierEval {
  /** Mean cross-entropy (nats), unweighted. */
  loss: number;
  metrics: ClassMetrics;
  /** Class probabilities [N, C], in the set's order. */
  probs: Float32Array;
  predicted: Int32Array;
  /** Most confident mistakes first. */
  misclassified: Misclassified[];
}

/** Class probabilities [N, C] of encoded texts, batched by similar length (no dropout). */
export async function predictProbs(
  net: ClassifierNet,
  seqs: Int32Array[],
  batch: number,
): Promise<Float32Array> {
  const C = net.spec.labels.length;
  const out = new Float32Array(seqs.length * C);
  const order = seqs.map((_, i) => i).sort((a, b) => seqs[a].length - seqs[b].length);
  for (let s = 0; s < order.length; s += batch) {
    const members = order.slice(s, s + batch);
    const b = makeBatch(
      members.map((i) => seqs[i]),
      members.map(() => 0),
    );
    const p = tf.tidy(() => tf.softmax(net.logits(b, { training: false })));
    const d = await readValues(p).finally(() => p.dispose());
    members.forEach((i, r) => out.set(d.subarray(r * C, (r + 1) * C), i * C));
  }
  return out;
}

/** Loss, metrics and mistakes of a classifier on an encoded labelled set. */
export async function evaluateClassifier(
  net: ClassifierNet,
  set: EncodedSet,
  batch: number,
): Promise<ClassifierEval> {
  const C = net.spec.labels.length;
  const probs = await predictProbs(net, set.seqs, batch);
  const N = set.seqs.length;
  const predicted = new Int32Array(N);
  let nll = 0;
  const misclassified: Misclassified[] = [];
  for (let i = 0; i < N; i++) {
    predicted[i] = argmaxRow(probs, i, C);
    const y = set.labels[i];
    nll -= Math.log(Math.max(probs[i * C + y], 1e-30));
    if (predicted[i] !== y)
      misclassified.push({
        example: set.examples[i],
        truth: y,
        predicted: predicted[i],
        probability: probs[i * C + predicted[i]],
      });
  }
  misclassified.sort((a, b) => b.probability - a.probability);
  return {
    loss: nll / Math.max(1, N),
    metrics: classMetrics(set.labels, predicted, C),
    probs,
    predicted,
    misclassified,
  };
}
