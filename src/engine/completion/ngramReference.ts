import { greedyCharPieces, suggestFromChars } from './ngramGreedy';
import type { SuggestionPolicy } from './policy';

/**
 * The reference character n-gram model (Maps of strings, the formulas as written): `CharNgramModel`
 * in ngram.ts computes the same probabilities from typed arrays, and the tests hold it to this one.
 *
 * A character n-gram model with interpolated Kneser–Ney smoothing: the baseline that SeqLab's
 * completion is measured against, built from the same training text. The vocabulary is the set
 * of characters (code points) in the training text; over it, every context's probabilities sum
 * to 1. Order n looks at the n−1 characters before the next one.
 *
 * P_k(c | h) = max(N_k(h c) − D, 0) / N_k(h) + D · T_k(h) / N_k(h) · P_{k−1}(c | h')
 * where h' is h without its first character, N_k are raw counts at the highest order and
 * continuation counts (distinct characters seen before h c) below it, T_k(h) is the number of
 * distinct characters seen after h, and P_0 is uniform over the vocabulary. A context never seen
 * falls through to the next lower order.
 */
export class ReferenceCharNgramModel {
  readonly vocab: string[];
  private readonly index = new Map<string, number>();
  /** Per order k (1..n): context (k−1 characters) → counts of the next character, by vocab index. */
  private readonly tables: Map<string, { counts: Map<number, number>; total: number }>[] = [];

  constructor(
    text: string,
    readonly order = 6,
    readonly discount = 0.75,
  ) {
    if (order < 1) throw new Error(`n-gram order must be at least 1, got ${order}`);
    const chars = [...text];
    this.vocab = [...new Set(chars)].sort();
    this.vocab.forEach((c, i) => this.index.set(c, i));
    for (let k = 0; k <= order; k++) this.tables.push(new Map());
    // Highest order: raw counts.
    const top = this.tables[order];
    for (let i = order - 1; i < chars.length; i++)
      this.bump(top, chars.slice(i - order + 1, i).join(''), chars[i]);
    // Lower orders: how many distinct characters precede each (k)-gram, from the order above.
    for (let k = order; k > 1; k--) {
      for (const [ctx, e] of this.tables[k]) {
        const shorter = [...ctx].slice(1).join('');
        for (const [c] of e.counts) this.bump(this.tables[k - 1], shorter, this.vocab[c]);
      }
    }
  }

  private bump(t: Map<string, { counts: Map<number, number>; total: number }>, ctx: string, c: string): void {
    let e = t.get(ctx);
    if (!e) t.set(ctx, (e = { counts: new Map(), total: 0 }));
    const id = this.index.get(c)!;
    e.counts.set(id, (e.counts.get(id) ?? 0) + 1);
    e.total++;
  }

  /** The next character's probabilities over `vocab`, given the text before it. */
  distribution(before: string, out = new Float64Array(this.vocab.length)): Float64Array {
    const ctx = [...before.slice(-2 * this.order)].slice(-(this.order - 1)).join('');
    out.fill(1 / this.vocab.length);
    const cps = [...ctx];
    // From the shortest context up: each order mixes its counts with the order below.
    for (let k = 1; k <= this.order; k++) {
      if (cps.length < k - 1) break;
      const h = cps.slice(cps.length - (k - 1)).join('');
      const e = this.tables[k].get(h);
      if (!e || e.total === 0) continue;
      const lower = (this.discount * e.counts.size) / e.total;
      for (let i = 0; i < out.length; i++) out[i] *= lower;
      for (const [c, n] of e.counts) out[c] += Math.max(n - this.discount, 0) / e.total;
    }
    return out;
  }

  /**
   * The highest order k whose context (the k−1 characters before) was seen, with that context's
   * total count and number of distinct next characters (raw counts at the highest order,
   * continuation counts below); order 0 when no context was seen.
   */
  contextStats(before: string): { order: number; total: number; distinct: number } {
    const cps = [...before.slice(-2 * this.order)].slice(-(this.order - 1));
    for (let k = this.order; k >= 1; k--) {
      if (cps.length < k - 1) continue;
      const e = this.tables[k].get(cps.slice(cps.length - (k - 1)).join(''));
      if (e && e.total > 0) return { order: k, total: e.total, distinct: e.counts.size };
    }
    return { order: 0, total: 0, distinct: 0 };
  }

  /** P(c | before); 0 for a character outside the vocabulary. */
  probability(before: string, c: string): number {
    const i = this.index.get(c);
    return i === undefined ? 0 : this.distribution(before)[i];
  }

  /** The greedy continuation of `before`, `count` characters, each with its probability. */
  greedyPieces(before: string, count: number): { piece: string; prob: number }[] {
    return greedyCharPieces(this, before, count);
  }

  /** The greedy continuation of `before`, shaped by the same policy as the model's suggestions. */
  suggest(before: string, policy: SuggestionPolicy): string {
    return suggestFromChars(this, before, policy);
  }
}
