import { splitWhitespace, tokenize13a } from './tokenize13a';

/** Corpus-level BLEU with its parts, as sacreBLEU reports them (scores in 0–100). */
export interface BleuScore {
  score: number;
  precisions: number[];
  bp: number;
  sysLen: number;
  refLen: number;
}

const ORDER = 4;

function ngramCounts(tokens: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (let n = 1; n <= ORDER; n++)
    for (let i = 0; i + n <= tokens.length; i++) {
      const k = `${n}\u0001${tokens.slice(i, i + n).join('\u0001')}`;
      m.set(k, (m.get(k) ?? 0) + 1);
    }
  return m;
}

/**
 * sacreBLEU's corpus_bleu with its defaults: 13a tokenisation, case-sensitive, one reference per
 * segment, n-grams to 4, brevity penalty over the corpus and the 'exp' smoothing (mteval's: an
 * order with no match counts as 1/2^k of a match).
 */
export function corpusBleu(hypotheses: readonly string[], references: readonly string[]): BleuScore {
  if (hypotheses.length !== references.length)
    throw new Error(`corpusBleu: ${hypotheses.length} hypotheses for ${references.length} references`);
  const correct = new Array<number>(ORDER).fill(0);
  const total = new Array<number>(ORDER).fill(0);
  let sysLen = 0;
  let refLen = 0;
  hypotheses.forEach((hyp, s) => {
    const h = splitWhitespace(tokenize13a(hyp.trimEnd()));
    const r = splitWhitespace(tokenize13a(references[s].trimEnd()));
    sysLen += h.length;
    refLen += r.length;
    const refCounts = ngramCounts(r);
    for (const [k, c] of ngramCounts(h)) {
      const n = Number(k.slice(0, k.indexOf('\u0001'))) - 1;
      total[n] += c;
      correct[n] += Math.min(c, refCounts.get(k) ?? 0);
    }
  });
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(ORDER).fill(0);
  if (!correct.some((c) => c > 0)) return { score: 0, precisions, bp, sysLen, refLen };
  let smooth = 1;
  for (let n = 0; n < ORDER; n++) {
    if (total[n] === 0) break;
    if (correct[n] === 0) {
      smooth *= 2;
      precisions[n] = 100 / (smooth * total[n]);
    } else precisions[n] = (100 * correct[n]) / total[n];
  }
  // sacreBLEU floors log(0) at -9999999999, which makes the score 0.
  const logs = precisions.map((p) => (p === 0 ? -9999999999 : Math.log(p)));
  const score = bp * Math.exp(logs.reduce((a, b) => a + b, 0) / ORDER);
  return { score, precisions, bp, sysLen, refLen };
}
