/** Exports go to the host as text or base64; it asks where to save them. */
import { STEP_COLUMNS, StepColumn } from '../src/dashboard/protocol';
import { metricsTable } from '../src/dashboard/experiments';
import { ema, toCsv } from '../src/dashboard/series';
import type { Chart } from './charts/chart';
import { post } from './host';
import { runName, selectedRuns, state } from './state';

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

/**
 * The overlaid runs' metrics at once: CSV, one row per run (config, best and final of every
 * metric, steps, tokens, time, speed, size); JSON, the same per run plus its evaluation history.
 */
export function exportMetrics(kind: 'csv' | 'json'): void {
  const sel = selectedRuns();
  const runs = sel.map((s) => state.runs.find((r) => r.id === s.r.id)!).filter(Boolean);
  if (kind === 'csv') {
    const { header, rows } = metricsTable(runs);
    const cols = header.map((_, k) => rows.map((r) => r[k]));
    post({ type: 'saveFile', name: 'seqlab-metrics.csv', kind: 'csv', data: toCsv(header, cols) });
    return;
  }
  const data = sel.map(({ r, p }) => {
    const full = state.runs.find((x) => x.id === r.id)!;
    return {
      run: full.id,
      name: runName(full),
      state: full.state,
      ...(full.pruned ? { pruned: full.pruned } : {}),
      group: full.group ?? null,
      tags: full.notes?.tags ?? [],
      notes: full.notes?.notes ?? '',
      config: full.config ?? {},
      best: full.stats?.best ?? {},
      final: full.stats?.final ?? {},
      steps: full.stats?.steps ?? null,
      tokens: full.stats?.tokens ?? null,
      wallSeconds: full.stats?.wallSeconds ?? null,
      tokensPerSec: full.stats?.tokensPerSec ?? null,
      parameters: full.stats?.parameters ?? null,
      evals: p.evals,
    };
  });
  post({ type: 'saveFile', name: 'seqlab-metrics.json', kind: 'json', data: JSON.stringify(data, null, 2) });
}
