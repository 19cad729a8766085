import type { ForecastOptions } from '../../config';
import { SeqLabError } from '../../errors';
import { columnIndex, numericCell, readTable, Table } from './table';
import { findTimeColumn, TimeInfo, timeSpacing } from './time';

/** The columns a forecaster reads from a table: the target first, then the features. */
export interface Series {
  file: string;
  /** [target, ...features]. */
  columns: string[];
  /** One array per column, NaN where a value is missing (only with missing = 'skip'). */
  values: Float64Array[];
  /** The time column's cells (or row numbers), for forecast files and charts. */
  times: string[];
  /** The file's line of each row. */
  lines: number[];
  time: TimeInfo;
  /** Missing cells found, and the rows dropped at the start because nothing came before them. */
  missing: number;
  droppedLeading: number;
}

export type SeriesOptions = Pick<ForecastOptions, 'target' | 'features' | 'timeColumn' | 'missing'> & {
  /** Read for a trained checkpoint (eval, forecast): its columns are fixed, no flag chooses others. */
  forCheckpoint?: boolean;
};

function numericColumn(t: Table, c: number, hint: string): Float64Array {
  const out = new Float64Array(t.rows.length);
  for (let i = 0; i < t.rows.length; i++) {
    const cell = t.rows[i][c] ?? '';
    const v = numericCell(cell);
    if (v === undefined)
      throw new SeqLabError(
        'E_DATA',
        `Column "${t.header[c]}" of ${t.file} is not numeric: line ${t.lines[i]} holds "${cell.slice(0, 40)}"`,
        `${t.file}:${t.lines[i]}`,
        hint,
      );
    out[i] = v;
  }
  return out;
}

/** Reads the target and feature columns of a CSV/TSV, with missing values handled as asked. */
export function readSeries(file: string, o: SeriesOptions): Series {
  return seriesFromTable(readTable(file), o);
}

export function seriesFromTable(t: Table, o: SeriesOptions): Series {
  if (!o.target)
    throw new SeqLabError(
      'E_DATA',
      'No target column: a forecaster needs the column to forecast',
      '--target',
      `Add --target <column>; ${t.file} has ${t.header.join(', ')}.`,
    );
  const columns = [o.target, ...o.features.filter((f) => f !== o.target)];
  const idx = columns.map((c, i) => columnIndex(t, c, i === 0 ? '--target' : '--features'));
  const fix = (i: number) =>
    o.forCheckpoint
      ? `Fix that row: the checkpoint reads column "${columns[i]}" as numbers (an empty cell counts as missing).`
      : `Fix that row, or choose a numeric column with ${i === 0 ? '--target' : '--features'}.`;
  let values = idx.map((c, i) => numericColumn(t, c, fix(i)));
  const timeCol = findTimeColumn(t, o.timeColumn);
  if (o.timeColumn && timeCol < 0) columnIndex(t, o.timeColumn, '--time-column');
  const time = timeSpacing(t, timeCol);
  let times = t.rows.map((r, i) => (timeCol >= 0 ? (r[timeCol] ?? '') : String(i + 1)));
  let lines = t.lines.slice();
  let missing = 0;
  for (const v of values) for (const x of v) if (Number.isNaN(x)) missing++;
  let droppedLeading = 0;
  if (o.missing === 'ffill') {
    // Rows before every column has had a value have nothing to carry forward: they are dropped.
    while (droppedLeading < t.rows.length && values.some((v) => Number.isNaN(v[droppedLeading])))
      droppedLeading++;
    values = values.map((v) => {
      const w = v.slice(droppedLeading);
      for (let i = 1; i < w.length; i++) if (Number.isNaN(w[i])) w[i] = w[i - 1];
      return w;
    });
    times = times.slice(droppedLeading);
    lines = lines.slice(droppedLeading);
  }
  return { file: t.file, columns, values, times, lines, time, missing, droppedLeading };
}

/** Per-column mean and standard deviation, fitted on the training rows only. */
export interface Normalisation {
  mean: number[];
  std: number[];
}

export function fitNormalisation(s: Series, rows: number): Normalisation {
  const mean: number[] = [];
  const std: number[] = [];
  for (const v of s.values) {
    let n = 0;
    let sum = 0;
    for (let i = 0; i < rows; i++)
      if (!Number.isNaN(v[i])) {
        sum += v[i];
        n++;
      }
    const m = n ? sum / n : 0;
    let sq = 0;
    for (let i = 0; i < rows; i++) if (!Number.isNaN(v[i])) sq += (v[i] - m) ** 2;
    const sd = n > 1 ? Math.sqrt(sq / n) : 0;
    mean.push(m);
    // A constant column scales by 1: dividing by 0 would make every input infinite.
    std.push(sd > 1e-12 ? sd : 1);
  }
  return { mean, std };
}

/**
 * Window origins of rows [from, to): origin t reads rows t−window … t−1 and predicts rows
 * t … t+horizon−1. With missing = 'skip', windows that hold a missing value are left out.
 */
export function windowOrigins(
  s: Series,
  window: number,
  horizon: number,
  from: number,
  to: number,
): number[] {
  const out: number[] = [];
  const target = s.values[0];
  const bad = new Uint8Array(target.length);
  for (const v of s.values) for (let i = 0; i < v.length; i++) if (Number.isNaN(v[i])) bad[i] = 1;
  // Prefix counts of missing rows make each window's check O(1).
  const prefix = new Int32Array(target.length + 1);
  for (let i = 0; i < target.length; i++) prefix[i + 1] = prefix[i] + bad[i];
  for (let t = Math.max(window, from); t + horizon <= to; t++)
    if (prefix[t + horizon] - prefix[t - window] === 0) out.push(t);
  return out;
}

/** The error for a series too short to hold one window. */
export function tooFewRows(
  file: string,
  rows: number,
  window: number,
  horizon: number,
  what: string,
  forCheckpoint = false,
): SeqLabError {
  // A forecast past the end reads one window and has no actual values after it (horizon 0).
  const need =
    horizon > 0
      ? `a window of ${window} steps and a horizon of ${horizon} need`
      : `a window of ${window} steps needs`;
  return new SeqLabError(
    'E_DATA',
    `Too few rows for one window in ${file}: ${rows} ${what}, but ${need} at least ${window + horizon}`,
    file,
    // A trained checkpoint's window and horizon are fixed: only the file can change.
    forCheckpoint
      ? `Give a file with at least ${window + horizon} complete rows (the checkpoint's window${horizon > 0 ? ' and horizon' : ''}).`
      : 'Use a smaller --window or --horizon, or more data.',
  );
}
