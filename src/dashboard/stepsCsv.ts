// The "every step" CSV, built the same way in the webview (runs it holds whole) and on the host
// (runs whose charts hold thinned columns, read again from metrics.jsonl so the export is exact).
import { STEP_COLUMNS, StepColumn, SeriesPatch } from './protocol';
import { ema, toCsv } from './series';

/** The CSV header of each step column; the smoothed loss follows the loss. */
const CSV_NAMES: Record<StepColumn, string> = {
  step: 'step',
  tokensSeen: 'tokens_seen',
  elapsed: 'elapsed_s',
  loss: 'loss',
  gradNorm: 'grad_norm',
  clipped: 'clipped',
  lr: 'lr',
  tokensPerSec: 'tokens_per_s',
};

/** Every step of the runs, one row each, with the loss smoothed as on screen. */
export function stepsCsv(runs: { label: string; p: SeriesPatch }[], smoothing: number): string {
  const header = [
    'run',
    ...STEP_COLUMNS.flatMap((c) => (c === 'loss' ? ['loss', 'loss_smoothed'] : [CSV_NAMES[c]])),
  ];
  const cols: (number | string | null)[][] = header.map(() => []);
  for (const { label, p } of runs) {
    const sm = ema(p.steps.loss, smoothing);
    p.steps.step.forEach((_, i) => {
      const row = [
        label,
        ...STEP_COLUMNS.flatMap((c) => (c === 'loss' ? [p.steps.loss[i], sm[i]] : [p.steps[c][i]])),
      ];
      row.forEach((v, k) => cols[k].push(v));
    });
  }
  return toCsv(header, cols);
}
