import { buildSuggestion, SuggestionPolicy } from './policy';

/** A character model that gives the next character's distribution over its vocabulary. */
export interface CharDistributionModel {
  readonly vocab: string[];
  readonly order: number;
  distribution(before: string, out?: Float64Array): Float64Array;
}

/**
 * The greedy continuation of `before`, `count` characters, each with its probability: the same
 * for the fast n-gram and its reference, so that the two are compared on their probabilities only.
 */
export function greedyCharPieces(
  m: CharDistributionModel,
  before: string,
  count: number,
): { piece: string; prob: number }[] {
  const out: { piece: string; prob: number }[] = [];
  const dist = new Float64Array(m.vocab.length);
  let text = before.slice(-2 * m.order);
  for (let n = 0; n < count; n++) {
    m.distribution(text, dist);
    let best = 0;
    for (let i = 1; i < dist.length; i++) if (dist[i] > dist[best]) best = i;
    const c = m.vocab[best];
    out.push({ piece: c, prob: dist[best] });
    text = (text + c).slice(-2 * m.order);
  }
  return out;
}

/** The greedy continuation of `before`, shaped by the same policy as the model's suggestions. */
export function suggestFromChars(m: CharDistributionModel, before: string, policy: SuggestionPolicy): string {
  return buildSuggestion(greedyCharPieces(m, before, policy.maxLength + 1), before, policy);
}
