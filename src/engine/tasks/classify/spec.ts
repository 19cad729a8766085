import type { ModelConfig } from '../../config';
import { gateCount } from '../../model/shapes';
import type { ClassifyOptions, Pooling } from './options';
import { DEFAULT_CLASSIFY, POOLINGS } from './options';

export { DEFAULT_CLASSIFY, POOLINGS } from './options';
export type { ClassifyOptions, Pooling } from './options';

export function classifyOptions(given: Partial<ClassifyOptions> | undefined): ClassifyOptions {
  const defined = Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_CLASSIFY, ...defined };
}

/** What using a classifier checkpoint needs besides model, tokenizer and weights (its manifest's taskSpec). */
export interface ClassifierSpec {
  labels: string[];
  bidirectional: boolean;
  pooling: Pooling;
  maxLen: number;
  keep: 'head' | 'tail';
  /**
   * The pooled features are shifted and scaled (`classifier/shift`, `classifier/scale`, trained
   * with the head) before the dense layer. A language model's pooled states share a large offset
   * (about 4× their spread between texts on the README's data), on which a plain dense head learns
   * slowly; started at the training set's mean and spread, the head sees standardized features,
   * as ULMFiT's head does with its batch normalization.
   * Absent (older checkpoints, specs written by hand): false.
   */
  standardize?: boolean;
}

export function specOf(labels: string[], o: ClassifyOptions, standardize = false): ClassifierSpec {
  return {
    labels,
    bidirectional: o.bidirectional,
    pooling: o.pooling,
    maxLen: o.maxLen,
    keep: o.keep,
    standardize,
  };
}

/** Reads a manifest's taskSpec, checking what the model's shape depends on. */
export function readSpec(raw: unknown): ClassifierSpec {
  const s = (raw ?? {}) as Partial<ClassifierSpec>;
  if (!Array.isArray(s.labels) || s.labels.length < 2 || !s.labels.every((l) => typeof l === 'string'))
    throw new Error('taskSpec.labels must list at least two label names');
  return {
    labels: s.labels,
    bidirectional: s.bidirectional === true,
    pooling: (POOLINGS as readonly string[]).includes(s.pooling as string) ? (s.pooling as Pooling) : 'last',
    maxLen: typeof s.maxLen === 'number' ? s.maxLen : 0,
    keep: s.keep === 'tail' ? 'tail' : 'head',
    standardize: s.standardize === true,
  };
}

/** Width of the features the pooling sees: H, or 2H when bidirectional. */
export function featureWidth(c: ModelConfig, s: Pick<ClassifierSpec, 'bidirectional'>): number {
  return c.hidden * (s.bidirectional ? 2 : 1);
}

/** Directions' name suffixes: the forward layers keep the language model's names (so it loads as the encoder). */
export function directions(s: Pick<ClassifierSpec, 'bidirectional'>): string[] {
  return s.bidirectional ? ['', '_rev'] : [''];
}

/**
 * Parameter names and shapes of a classifier, in a fixed order: the embedding and the recurrent
 * layers named as a language model's (`layer_0/kernel`, and `layer_0_rev/…` for the backward
 * direction), the attention query when pooling by attention, and the dense layer `classifier/…`.
 */
export function classifierParamShapes(
  c: ModelConfig,
  s: Pick<ClassifierSpec, 'bidirectional' | 'pooling' | 'labels' | 'standardize'>,
): [string, number[]][] {
  const G = gateCount(c.cell);
  const D = featureWidth(c, s);
  const out: [string, number[]][] = [['embedding', [c.vocabSize, c.embedding]]];
  for (let l = 0; l < c.layers; l++)
    for (const d of directions(s)) {
      const inDim = l === 0 ? c.embedding : D;
      out.push([`layer_${l}${d}/kernel`, [inDim, G * c.hidden]]);
      out.push([`layer_${l}${d}/recurrent_kernel`, [c.hidden, G * c.hidden]]);
      out.push([`layer_${l}${d}/bias`, c.cell === 'gru' ? [2, G * c.hidden] : [G * c.hidden]]);
    }
  if (s.pooling === 'attention') out.push(['pool/query', [D]]);
  if (s.standardize) out.push(['classifier/shift', [D]], ['classifier/scale', [D]]);
  out.push(['classifier/kernel', [D, s.labels.length]]);
  out.push(['classifier/bias', [s.labels.length]]);
  return out;
}
