import { CheckpointManifest, loadCheckpoint, readManifest } from '../../checkpoint';
import { initBackend } from '../../wasm/backend';
import { requireTask } from '../kinds';
import { compareForecasts, ForecastSpec, forecastFigures, modelForecast } from './forecasting';
import { ForecastModel } from './model';
import { readSeries, Series, tooFewRows, windowOrigins } from './series';

export interface LoadedForecaster {
  model: ForecastModel;
  spec: ForecastSpec;
  manifest: CheckpointManifest;
}

/** A forecaster checkpoint ready to predict; other kinds are refused naming the kind needed. */
export async function loadForecaster(
  checkpoint: string,
  action: string,
  backend: 'wasm' | 'cpu' = 'wasm',
): Promise<LoadedForecaster> {
  requireTask(checkpoint, readManifest(checkpoint), 'forecast', action);
  const data = loadCheckpoint(checkpoint);
  await initBackend(backend);
  const spec = data.manifest.taskSpec as unknown as ForecastSpec;
  return { model: new ForecastModel(data.manifest.model, data.weights), spec, manifest: data.manifest };
}

/** What reading a file found that the user should know (as training notes it): an unusable time column. */
export type WarningSink = (message: string) => void;

/** The checkpoint's columns read from another file, missing values handled as in training. */
export function readSeriesFor(spec: ForecastSpec, file: string, warn?: WarningSink): Series {
  const s = readSeries(file, {
    target: spec.target,
    features: spec.features,
    timeColumn: spec.timeColumn ?? '',
    missing: spec.missing,
    forCheckpoint: true,
  });
  if (s.time.warning) warn?.(s.time.warning);
  return s;
}

export interface FileEvaluation extends Record<string, number> {
  rows: number;
}

/**
 * The checkpoint's figures on a file: its first `window` rows are context only, then every window
 * of `horizon` steps, model against naive, seasonal naive and the autoregression.
 */
export async function evaluateForecasterOnFile(
  checkpoint: string,
  file: string,
  backend: 'wasm' | 'cpu' = 'wasm',
  warn?: WarningSink,
): Promise<FileEvaluation> {
  const f = await loadForecaster(checkpoint, 'Evaluating a forecaster', backend);
  try {
    const s = readSeriesFor(f.spec, file, warn);
    const rows = s.values[0].length;
    const { window: N, horizon: H } = f.spec;
    const origins = windowOrigins(s, N, H, N, rows);
    if (origins.length === 0) throw tooFewRows(file, rows, N, H, 'complete rows', true);
    return { ...forecastFigures(await compareForecasts(f.model, f.spec, s, origins)), rows };
  } finally {
    f.model.dispose();
  }
}

/** The time label `k` steps after the last row, continuing a regular time column where it can. */
export function timeAfter(s: Series, k: number): string {
  const last = s.times[s.times.length - 1] ?? '';
  const prev = s.times[s.times.length - 2];
  if (s.time.column === null) return String(s.times.length + k);
  const a = Number(last);
  const b = Number(prev);
  if (prev !== undefined && Number.isFinite(a) && Number.isFinite(b) && last.trim() !== '') {
    const step = a - b;
    return String(Number((a + k * step).toPrecision(12)));
  }
  const months = { monthly: 1, quarterly: 3, yearly: 12 }[s.time.spacing];
  const t = Date.parse(/^\d{4}-\d{1,2}$/.test(last) ? `${last}-01T00:00:00Z` : last);
  if (months && Number.isFinite(t)) {
    const d = new Date(t);
    d.setUTCMonth(d.getUTCMonth() + k * months);
    const iso = d.toISOString();
    return /^\d{4}-\d{1,2}$/.test(last) ? iso.slice(0, 7) : last.length <= 10 ? iso.slice(0, 10) : iso;
  }
  const tp = prev !== undefined ? Date.parse(prev) : NaN;
  if (
    ['hourly', 'daily', 'weekly', 'regular'].includes(s.time.spacing) &&
    Number.isFinite(t) &&
    Number.isFinite(tp)
  ) {
    const iso = new Date(t + k * (t - tp)).toISOString();
    return last.length <= 10 ? iso.slice(0, 10) : iso;
  }
  return `+${k}`;
}

export interface FileForecast {
  column: string;
  timeColumn: string;
  times: string[];
  values: number[];
}

/**
 * Forecasts `steps` values past the end of a file. Beyond one horizon the forecasts are fed back
 * as the newest target values (feature columns hold their last value).
 */
export async function forecastFile(
  checkpoint: string,
  file: string,
  steps: number | undefined,
  backend: 'wasm' | 'cpu' = 'wasm',
  warn?: WarningSink,
): Promise<FileForecast> {
  const f = await loadForecaster(checkpoint, 'Forecasting', backend);
  try {
    const s = readSeriesFor(f.spec, file, warn);
    const { window: N, horizon: H } = f.spec;
    const rows = s.values[0].length;
    if (rows < N) throw tooFewRows(file, rows, N, 0, 'rows', true);
    const K = steps ?? H;
    const values: number[] = [];
    let ext: Series = s;
    while (values.length < K) {
      const end = ext.values[0].length;
      const next = Array.from(await modelForecast(f.model, f.spec, ext, [end]));
      values.push(...next.slice(0, K - values.length));
      ext = {
        ...ext,
        values: ext.values.map((v, c) => {
          const w = new Float64Array(v.length + next.length);
          w.set(v);
          w.fill(v[v.length - 1], v.length);
          if (c === 0) w.set(next, v.length);
          return w;
        }),
      };
    }
    return {
      column: f.spec.target,
      timeColumn: s.time.column ?? 'step',
      times: values.map((_, k) => timeAfter(s, k + 1)),
      values,
    };
  } finally {
    f.model.dispose();
  }
}

/** A forecast as CSV text: the time column and the forecast target. */
export function forecastCsv(r: FileForecast): string {
  const q = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return (
    [
      `${q(r.timeColumn)},${q(`${r.column}_forecast`)}`,
      ...r.times.map((t, i) => `${q(t)},${r.values[i]}`),
    ].join('\n') + '\n'
  );
}
