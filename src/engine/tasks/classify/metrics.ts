/** Per-class and overall figures of a set of predictions against true labels. */
export interface ClassMetrics {
  accuracy: number;
  macro_f1: number;
  /** Per class, in label order. */
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
  /** confusion[true][predicted] counts. */
  confusion: number[][];
}

/**
 * Accuracy, per-class precision/recall/F1 and their unweighted mean (macro-F1). A class never
 * predicted has precision 0 and a class absent from the truth has recall 0, as scikit-learn's
 * zero_division=0; macro-F1 averages over the classes present in truth or predictions.
 */
export function classMetrics(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  C: number,
): ClassMetrics {
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    confusion[truth[i]][predicted[i]]++;
    if (truth[i] === predicted[i]) correct++;
  }
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  const support: number[] = [];
  let f1Sum = 0;
  let present = 0;
  for (let c = 0; c < C; c++) {
    const tp = confusion[c][c];
    const actual = confusion[c].reduce((a, b) => a + b, 0);
    const pred = confusion.reduce((a, row) => a + row[c], 0);
    const p = pred ? tp / pred : 0;
    const r = actual ? tp / actual : 0;
    const f = p + r > 0 ? (2 * p * r) / (p + r) : 0;
    precision.push(p);
    recall.push(r);
    f1.push(f);
    support.push(actual);
    if (actual || pred) {
      f1Sum += f;
      present++;
    }
  }
  return {
    accuracy: truth.length ? correct / truth.length : 0,
    macro_f1: present ? f1Sum / present : 0,
    precision,
    recall,
    f1,
    support,
    confusion,
  };
}

/** Index of the largest value in row r of a [N, C] row-major array. */
export function argmaxRow(p: ArrayLike<number>, r: number, C: number): number {
  let best = 0;
  for (let c = 1; c < C; c++) if (p[r * C + c] > p[r * C + best]) best = c;
  return best;
}
