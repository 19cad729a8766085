/** Exports go to the host as text or base64; it asks where to save them. */
import { metricsTable } from '../src/dashboard/experiments';
import { toCsv } from '../src/dashboard/series';
import { stepsCsv } from '../src/dashboard/stepsCsv';
import type { Chart } from './charts/chart';
import { post } from './host';
import { runName, selectedRuns, state } from './state';

/**
 * Every step of the overlaid runs, one row each, with the loss smoothed as on screen. A run whose
 * charts hold thinned columns is exported by the host from its metrics.jsonl, so no row is lost.
 */
export function exportCsv(): void {
  const sel = selectedRuns();
  if (sel.some(({ p }) => p.sampledFrom !== undefined)) {
    post({
      type: 'exportSteps',
      runs: sel.map(({ r }) => ({ id: r.id, label: r.label })),
      smoothing: state.view.smoothing,
    });
    return;
  }
  const runs = sel.map(({ r, p }) => ({ label: r.label, p }));
  post({
    type: 'saveFile',
    name: 'seqlab-runs.csv',
    kind: 'csv',
    data: stepsCsv(runs, state.view.smoothing),
  });
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
