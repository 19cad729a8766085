/** Exports go to the host as text or base64; it asks where to save them. */
import { STEP_COLUMNS, StepColumn } from '../src/dashboard/protocol';
import { ema, toCsv } from '../src/dashboard/series';
import type { Chart } from './charts/chart';
import { post } from './host';
import { selectedRuns, state } from './state';

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

/** Every step of the overlaid runs, one row each, with the loss smoothed as on screen. */
export function exportCsv(): void {
  const header = [
    'run',
    ...STEP_COLUMNS.flatMap((c) => (c === 'loss' ? ['loss', 'loss_smoothed'] : [CSV_NAMES[c]])),
  ];
  const cols: (number | string | null)[][] = header.map(() => []);
  for (const { r, p } of selectedRuns()) {
    const sm = ema(p.steps.loss, state.view.smoothing);
    p.steps.step.forEach((_, i) => {
      const row = [
        r.label,
        ...STEP_COLUMNS.flatMap((c) => (c === 'loss' ? [p.steps.loss[i], sm[i]] : [p.steps[c][i]])),
      ];
      row.forEach((v, k) => cols[k].push(v));
    });
  }
  post({ type: 'saveFile', name: 'seqlab-runs.csv', kind: 'csv', data: toCsv(header, cols) });
}

/** The chart's canvas as it is drawn now; nothing happens before its first draw. */
export function exportPng(chart: Chart, key: string): void {
  const u = chart.plot;
  if (!u) return;
  const url = u.ctx.canvas.toDataURL('image/png');
  post({ type: 'saveFile', name: `seqlab-${key}.png`, kind: 'png', data: url.slice(url.indexOf(',') + 1) });
}
