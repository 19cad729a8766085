import type { BackendChoice } from '../engine/wasm/backendNames';
import { evaluateClassifierOn } from '../engine/tasks/classify/use';

/** The `seqlab eval` flags a classifier reads. */
interface ClassifierEvalFlags {
  backend: BackendChoice;
  json?: boolean;
  textColumn?: unknown;
  labelColumn?: unknown;
}

/** A table with right-aligned columns. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows
    .map((r) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  '))
    .join('\n');
}

/**
 * `seqlab eval` for a classifier: accuracy, macro-F1, the per-class table and the confusion matrix;
 * with --json one object (accuracy, macro_f1, loss, labels, per-class figures, confusion).
 */
export async function evalClassifier(
  checkpoint: string,
  data: string,
  f: ClassifierEvalFlags,
): Promise<void> {
  const r = await evaluateClassifierOn(checkpoint, data, {
    backend: f.backend,
    textColumn: f.textColumn as string | undefined,
    labelColumn: f.labelColumn as string | undefined,
  });
  const m = r.metrics;
  if (f.json) {
    console.log(
      JSON.stringify({
        accuracy: m.accuracy,
        macro_f1: m.macro_f1,
        loss: r.loss,
        examples: r.examples,
        skipped: r.skipped,
        labels: r.labels,
        precision: m.precision,
        recall: m.recall,
        f1: m.f1,
        support: m.support,
        confusion: m.confusion,
      }),
    );
    return;
  }
  const pct = (x: number) => (100 * x).toFixed(1);
  console.log(
    `accuracy ${pct(m.accuracy)}%  macro-F1 ${m.macro_f1.toFixed(3)}  loss ${r.loss.toFixed(4)}  (${r.examples} examples${r.skipped ? `, ${r.skipped} skipped` : ''})`,
  );
  console.log('');
  console.log(
    table([
      ['label', 'precision', 'recall', 'F1', 'support'],
      ...r.labels.map((l, i) => [
        l,
        m.precision[i].toFixed(3),
        m.recall[i].toFixed(3),
        m.f1[i].toFixed(3),
        String(m.support[i]),
      ]),
    ]),
  );
  console.log('');
  console.log('confusion (rows: true label, columns: predicted)');
  console.log(table([['', ...r.labels], ...r.labels.map((l, i) => [l, ...m.confusion[i].map(String)])]));
}
