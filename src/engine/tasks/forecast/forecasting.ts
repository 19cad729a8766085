import * as tf from '@tensorflow/tfjs';
import type { ForecastOptions } from '../../config';
import { readValues } from '../../training/reads';
import { actuals, ArModel, arForecast, naiveForecast, seasonalNaiveForecast } from './baselines';
import { errorFigures, scaledError } from './metrics';
import type { ForecastModel } from './model';
import type { Normalisation, Series } from './series';

/**
 * What using a forecaster needs besides its weights: stored in the checkpoint as `taskSpec`. The
 * options as the run resolved them (`season` 0: none found, the seasonal baseline is left out).
 */
export interface ForecastSpec extends Pick<
  ForecastOptions,
  'target' | 'features' | 'window' | 'horizon' | 'season' | 'strategy' | 'loss' | 'missing'
> {
  /** [target, ...features]: the model's inputs, in order. */
  columns: string[];
  /** The time column found (null: none; rows equally spaced). */
  timeColumn: string | null;
  spacing: string;
  /** Fitted on the training rows only. */
  norm: Normalisation;
  /** The linear-autoregression baseline, fitted on the training windows. */
  ar: ArModel;
}

/** Each column standardised with the training part's statistics. */
export function standardise(s: Series, norm: Normalisation): Float32Array[] {
  return s.values.map((v, c) => Float32Array.from(v, (x) => (x - norm.mean[c]) / norm.std[c]));
}

/** Windows ending before each origin as one time-major input [T·B, F]. */
export function windowInputs(z: Float32Array[], origins: number[], T: number): tf.Tensor2D {
  const F = z.length;
  const B = origins.length;
  const x = new Float32Array(T * B * F);
  for (let t = 0; t < T; t++)
    for (let b = 0; b < B; b++) {
      const row = origins[b] - T + t;
      for (let f = 0; f < F; f++) x[(t * B + b) * F + f] = z[f][row];
    }
  return tf.tensor2d(x, [T * B, F]);
}

/** The next `outputs` standardised target values after each origin, [B, outputs]. */
export function windowTargets(z: Float32Array[], origins: number[], outputs: number): tf.Tensor2D {
  const y = new Float32Array(origins.length * outputs);
  origins.forEach((t, b) => y.set(z[0].subarray(t, t + outputs), b * outputs));
  return tf.tensor2d(y, [origins.length, outputs]);
}

const CHUNK = 256;

/**
 * The model's forecasts of `spec.horizon` steps from each origin, in the target's units,
 * [origins × horizon]. Recursive: one step at a time, each prediction fed back as the newest
 * target value; feature columns hold their last observed value past the origin.
 */
export async function modelForecast(
  model: ForecastModel,
  spec: ForecastSpec,
  s: Series,
  origins: number[],
): Promise<Float64Array> {
  const z = standardise(s, spec.norm);
  const H = spec.horizon;
  const N = spec.window;
  const out = new Float64Array(origins.length * H);
  const { mean, std } = spec.norm;
  for (let c0 = 0; c0 < origins.length; c0 += CHUNK) {
    const chunk = origins.slice(c0, c0 + CHUNK);
    if (spec.strategy === 'direct') {
      const p = tf.tidy(() => model.predict(windowInputs(z, chunk, N), N, chunk.length));
      const d = await readValues(p).finally(() => p.dispose());
      for (let i = 0; i < d.length; i++) out[c0 * H + i] = d[i] * std[0] + mean[0];
      continue;
    }
    // Each origin gets its own copy of the columns, N rows of history then H rows to fill.
    const bufs = z.map(() => new Float32Array(chunk.length * (N + H)));
    chunk.forEach((t, b) =>
      z.forEach((col, f) => {
        const buf = bufs[f].subarray(b * (N + H), (b + 1) * (N + H));
        buf.set(col.subarray(t - N, t));
        buf.fill(col[t - 1], N);
      }),
    );
    const local = chunk.map((_, b) => b * (N + H) + N);
    for (let h = 0; h < H; h++) {
      const p = tf.tidy(() =>
        model.predict(
          windowInputs(
            bufs,
            local.map((o) => o + h),
            N,
          ),
          N,
          chunk.length,
        ),
      );
      const d = await readValues(p).finally(() => p.dispose());
      chunk.forEach((_, b) => {
        bufs[0][local[b] + h] = d[b];
        out[(c0 + b) * H + h] = d[b] * std[0] + mean[0];
      });
    }
  }
  return out;
}

/** Forecasts of the model and the baselines at the same origins, with the actual values. */
export interface ForecastComparison {
  origins: number[];
  actual: Float64Array;
  model: Float64Array;
  naive: Float64Array;
  seasonal?: Float64Array;
  ar: Float64Array;
}

/** Whether the seasonal baseline applies: a season that fits in the window (it then reads only the window). */
export function seasonalApplies(spec: Pick<ForecastSpec, 'season' | 'window'>): boolean {
  return spec.season > 1 && spec.season <= spec.window;
}

export async function compareForecasts(
  model: ForecastModel,
  spec: ForecastSpec,
  s: Series,
  origins: number[],
): Promise<ForecastComparison> {
  const y = s.values[0];
  const H = spec.horizon;
  return {
    origins,
    actual: actuals(y, origins, H),
    model: await modelForecast(model, spec, s, origins),
    naive: naiveForecast(y, origins, H),
    seasonal: seasonalApplies(spec) ? seasonalNaiveForecast(y, origins, H, spec.season) : undefined,
    ar: arForecast(spec.ar, y, origins, spec.window, H),
  };
}

/**
 * The figures of an evaluation: the model's MAE, RMSE and MAPE (where defined), MASE against
 * the naive and seasonal-naive forecasts, and each baseline's own MAE and RMSE.
 */
export function forecastFigures(c: ForecastComparison): Record<string, number> {
  const m = errorFigures(c.actual, c.model);
  const naive = errorFigures(c.actual, c.naive);
  const seasonal = c.seasonal ? errorFigures(c.actual, c.seasonal) : undefined;
  const ar = errorFigures(c.actual, c.ar);
  const out: Record<string, number | undefined> = {
    mae: m.mae,
    rmse: m.rmse,
    mape: m.mape,
    mase: scaledError(m.mae, naive.mae),
    mase_seasonal: scaledError(m.mae, seasonal?.mae),
    naive_mae: naive.mae,
    naive_rmse: naive.rmse,
    snaive_mae: seasonal?.mae,
    snaive_rmse: seasonal?.rmse,
    ar_mae: ar.mae,
    ar_rmse: ar.rmse,
    windows: c.origins.length,
  };
  return Object.fromEntries(Object.entries(out).filter((e): e is [string, number] => e[1] !== undefined));
}
