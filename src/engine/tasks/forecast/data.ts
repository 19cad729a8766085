import * as path from 'path';
import { DEFAULT_TRAIN_CONFIG, ForecastOptions, TrainConfig } from '../../config';
import { SeqLabError } from '../../errors';
import { fitAutoregression } from './baselines';
import type { ForecastSpec } from './forecasting';
import { fitNormalisation, readSeries, Series, tooFewRows, windowOrigins } from './series';

/** The run's forecaster options, every one set (older or partial configs take the defaults). */
export function forecastOptions(config: TrainConfig): ForecastOptions {
  return { ...DEFAULT_TRAIN_CONFIG.forecast!, ...config.forecast };
}

/** A CSV read for training: the series, its chronological split, windows, and what using the model needs. */
export interface ForecastData {
  train: Series;
  /** The validation rows: the training file's tail (rows from `valStart`) or the --val-file. */
  val: Series;
  valStart: number;
  /** Training windows (their targets are the model's outputs: horizon steps, or one when recursive). */
  trainOrigins: number[];
  /** Validation windows, each with `horizon` actual values. */
  valOrigins: number[];
  spec: ForecastSpec;
  /** What was found and done (missing values, the time column, the season), for the run's log. */
  notes: string[];
}

export function prepareForecastData(file: string, config: TrainConfig, given?: ForecastSpec): ForecastData {
  const o = forecastOptions(config);
  const N = o.window;
  const H = o.horizon;
  const train = readSeries(file, o);
  const rows = train.values[0].length;
  if (rows < N + H) throw tooFewRows(file, rows, N, H, 'rows');
  const val = o.valFile ? readSeries(path.resolve(path.dirname(file), o.valFile), o) : train;
  const valRows = o.valFile ? 0 : Math.min(rows - N - H, Math.round(rows * config.valFraction));
  const trainRows = rows - valRows;
  const valStart = o.valFile ? 0 : trainRows;
  const outputs = o.strategy === 'direct' ? H : 1;
  const trainOrigins = windowOrigins(train, N, outputs, 0, trainRows);
  if (trainOrigins.length === 0) throw tooFewRows(file, trainRows, N, outputs, 'complete training rows');
  const valOrigins = windowOrigins(val, N, H, valStart, val.values[0].length);
  const notes: string[] = [];
  if (train.missing)
    notes.push(
      o.missing === 'ffill'
        ? `${train.missing} missing values in ${path.basename(file)}: carried forward from the row before${train.droppedLeading ? ` (${train.droppedLeading} leading rows with nothing before them dropped)` : ''}`
        : `${train.missing} missing values in ${path.basename(file)}: the windows that hold one are skipped`,
    );
  if (train.time.warning) notes.push(train.time.warning);
  const season = given?.season ?? (o.season || train.time.season);
  const spacing = train.time.column ? `${train.time.column}, ${train.time.spacing}` : 'no time column';
  notes.push(
    `series: ${rows} rows (${spacing}); training rows 1–${trainRows}, validation ${o.valFile ? `${val.values[0].length} rows of ${o.valFile}` : `rows ${trainRows + 1}–${rows}`}; ${trainOrigins.length} training windows, ${valOrigins.length} validation windows`,
  );
  if (season > 1 && !o.season)
    notes.push(`season ${season} (detected from the ${train.time.spacing} time column)`);
  if (season > N)
    notes.push(
      `the seasonal-naive baseline is left out: its season (${season}) is longer than the window (${N}); use --window ${season} or more to include it`,
    );
  if (valOrigins.length === 0)
    notes.push('no validation windows: evaluations are skipped (use more rows or --val-file)');
  const norm = given?.norm ?? fitNormalisation(train, trainRows);
  const arOrigins = windowOrigins(train, N, H, 0, trainRows);
  if (arOrigins.length === 0)
    throw new SeqLabError(
      'E_DATA',
      `The training rows of ${file} hold no window of ${N} steps followed by ${H} values`,
      file,
      'Use a smaller --window or --horizon, or more data.',
    );
  const spec: ForecastSpec = given ?? {
    target: o.target,
    features: train.columns.slice(1),
    columns: train.columns,
    timeColumn: train.time.column,
    spacing: train.time.spacing,
    window: N,
    horizon: H,
    season,
    strategy: o.strategy,
    loss: o.loss,
    missing: o.missing,
    norm,
    ar: fitAutoregression(train.values[0], arOrigins, N, H, norm.mean[0], norm.std[0]),
  };
  return { train, val, valStart, trainOrigins, valOrigins, spec, notes };
}
