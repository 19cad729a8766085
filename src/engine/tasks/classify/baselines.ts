import { classMetrics } from './metrics';

/** A baseline's figures on the validation split. */
export interface BaselineResult {
  name: string;
  accuracy: number;
  macro_f1: number;
}

/** Always the most frequent training label. */
export function majorityBaseline(train: number[], val: number[], C: number): BaselineResult {
  const counts = new Array<number>(C).fill(0);
  for (const y of train) counts[y]++;
  const top = counts.indexOf(Math.max(...counts));
  const m = classMetrics(
    val,
    val.map(() => top),
    C,
  );
  return { name: 'majority', accuracy: m.accuracy, macro_f1: m.macro_f1 };
}

/** Word unigrams and bigrams plus character 3- to 5-grams within words (fastText-style features). */
export function ngrams(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}']+|[^\s\p{L}\p{N}]/gu) ?? [];
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    out.push(`w:${words[i]}`);
    if (i > 0) out.push(`b:${words[i - 1]} ${words[i]}`);
    const w = `<${words[i]}>`;
    for (let n = 3; n <= 5; n++) for (let j = 0; j + n <= w.length; j++) out.push(`c:${w.slice(j, j + n)}`);
  }
  return out;
}

/**
 * Multinomial naive Bayes over binarised bags of n-grams (each n-gram counted once per text, which
 * is the better variant for sentiment, Wang & Manning 2012), Laplace smoothing.
 */
export class NgramNaiveBayes {
  private readonly logPrior: number[];
  private readonly logLik: Map<string, number[]>;

  constructor(
    texts: string[],
    labels: number[],
    private readonly C: number,
  ) {
    const docs = new Array<number>(C).fill(0);
    const counts = new Map<string, number[]>();
    const totals = new Array<number>(C).fill(0);
    texts.forEach((t, i) => {
      const y = labels[i];
      docs[y]++;
      for (const g of new Set(ngrams(t))) {
        const row = counts.get(g) ?? counts.set(g, new Array<number>(C).fill(0)).get(g)!;
        row[y]++;
        totals[y]++;
      }
    });
    const V = counts.size + 1;
    this.logPrior = docs.map((d) => Math.log((d + 1) / (texts.length + C)));
    this.logLik = new Map();
    for (const [g, row] of counts)
      this.logLik.set(
        g,
        row.map((n, c) => Math.log((n + 1) / (totals[c] + V))),
      );
  }

  predict(text: string): number {
    const score = this.logPrior.slice();
    for (const g of new Set(ngrams(text))) {
      const row = this.logLik.get(g);
      if (!row) continue; // unseen in training: the same for every class up to smoothing, skip
      for (let c = 0; c < this.C; c++) score[c] += row[c];
    }
    return score.indexOf(Math.max(...score));
  }
}

export function naiveBayesBaseline(
  trainTexts: string[],
  train: number[],
  valTexts: string[],
  val: number[],
  C: number,
): BaselineResult {
  const nb = new NgramNaiveBayes(trainTexts, train, C);
  const m = classMetrics(
    val,
    valTexts.map((t) => nb.predict(t)),
    C,
  );
  return { name: 'n-gram naive Bayes', accuracy: m.accuracy, macro_f1: m.macro_f1 };
}
