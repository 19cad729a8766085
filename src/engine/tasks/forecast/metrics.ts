/** Forecast errors over [origins × horizon] (every step ahead weighs the same). */
export interface ErrorFigures {
  mae: number;
  rmse: number;
  /** Mean absolute percentage error; undefined where an actual value is 0 (it would divide by 0). */
  mape?: number;
}

export function errorFigures(actual: Float64Array, predicted: Float64Array): ErrorFigures {
  let abs = 0;
  let sq = 0;
  let pct = 0;
  let zero = false;
  for (let i = 0; i < actual.length; i++) {
    const e = predicted[i] - actual[i];
    abs += Math.abs(e);
    sq += e * e;
    if (Math.abs(actual[i]) < 1e-12) zero = true;
    else pct += Math.abs(e / actual[i]);
  }
  const n = Math.max(1, actual.length);
  return {
    mae: abs / n,
    rmse: Math.sqrt(sq / n),
    ...(zero || actual.length === 0 ? {} : { mape: (100 * pct) / n }),
  };
}

/**
 * The model's MAE scaled by a baseline's on the same windows and steps (MASE against that
 * baseline): below 1 the model beats it. Undefined when the baseline is exact (MAE 0).
 */
export function scaledError(mae: number, baselineMae: number | undefined): number | undefined {
  return baselineMae !== undefined && baselineMae > 0 ? mae / baselineMae : undefined;
}
