import { splitWhitespace } from './tokenize13a';

const CHAR_ORDER = 6;
const BETA = 2;

function charNgrams(line: string, n: number): Map<string, number> {
  const chars = Array.from(splitWhitespace(line).join(''));
  const m = new Map<string, number>();
  for (let i = 0; i + n <= chars.length; i++) {
    const k = chars.slice(i, i + n).join('');
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/**
 * sacreBLEU's corpus_chrf with its defaults (chrF2: character n-grams 1–6 without whitespace,
 * β = 2, statistics summed over the corpus, precision and recall averaged over the orders that
 * have both a hypothesis and a reference n-gram). Characters are code points, as in Python.
 */
export function corpusChrf(hypotheses: readonly string[], references: readonly string[]): number {
  if (hypotheses.length !== references.length)
    throw new Error(`corpusChrf: ${hypotheses.length} hypotheses for ${references.length} references`);
  const stats = new Array<number>(3 * CHAR_ORDER).fill(0);
  hypotheses.forEach((hyp, s) => {
    for (let n = 1; n <= CHAR_ORDER; n++) {
      const h = charNgrams(hyp, n);
      const r = charNgrams(references[s], n);
      let hypCount = 0;
      let match = 0;
      for (const [k, c] of h) {
        hypCount += c;
        match += Math.min(c, r.get(k) ?? 0);
      }
      let refCount = 0;
      for (const c of r.values()) refCount += c;
      const i = 3 * (n - 1);
      stats[i] += r.size > 0 ? hypCount : 0;
      stats[i + 1] += refCount;
      stats[i + 2] += match;
    }
  });
  return chrfFromStats(stats);
}

function chrfFromStats(stats: number[]): number {
  const factor = BETA * BETA;
  let avgPrec = 0;
  let avgRec = 0;
  let order = 0;
  for (let n = 0; n < CHAR_ORDER; n++) {
    const [nHyp, nRef, nMatch] = stats.slice(3 * n, 3 * n + 3);
    if (nHyp > 0 && nRef > 0) {
      avgPrec += nMatch / nHyp;
      avgRec += nMatch / nRef;
      order++;
    }
  }
  if (order === 0) return 0;
  avgPrec /= order;
  avgRec /= order;
  if (avgPrec + avgRec === 0) return 0;
  return (100 * (1 + factor) * avgPrec * avgRec) / (factor * avgPrec + avgRec);
}
