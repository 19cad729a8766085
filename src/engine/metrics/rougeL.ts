import { splitWhitespace } from './tokenize13a';

function lcs(a: string[], b: string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    const cur = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++)
      cur[j] = x === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    prev = cur;
  }
  return prev[b.length];
}

/**
 * ROUGE-L F1 (0–100): the longest common subsequence of lower-cased whitespace tokens, as
 * precision and recall against the reference, averaged over the segments (as rouge-score does).
 */
export function rougeL(hypotheses: readonly string[], references: readonly string[]): number {
  if (hypotheses.length === 0) return 0;
  let sum = 0;
  hypotheses.forEach((hyp, s) => {
    const h = splitWhitespace(hyp.toLowerCase());
    const r = splitWhitespace(references[s].toLowerCase());
    const l = lcs(h, r);
    if (l === 0) return;
    const p = l / h.length;
    const rc = l / r.length;
    sum += (2 * p * rc) / (p + rc);
  });
  return (100 * sum) / hypotheses.length;
}
