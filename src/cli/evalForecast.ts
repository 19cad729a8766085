import { cpuBackendOf, type BackendChoice } from '../engine/wasm/backendNames';
import { evaluateForecasterOnFile } from '../engine/tasks/forecast';

const fmt = (v: number | undefined, d = 4) => (v === undefined ? '–' : v.toFixed(d));

/** `seqlab eval <forecaster> <file.csv>`: the model against the baselines on every window after the first. */
export async function evalForecaster(
  checkpoint: string,
  file: string,
  f: { backend: BackendChoice; json?: boolean },
): Promise<void> {
  // On stderr: with --json, stdout holds only the figures.
  const r = await evaluateForecasterOnFile(checkpoint, file, cpuBackendOf(f.backend), (w) =>
    console.error(`warning: ${w}`),
  );
  if (f.json) {
    console.log(JSON.stringify(r));
    return;
  }
  console.log(
    `${r.windows} windows of ${r.rows} rows: MAE ${fmt(r.mae)}  RMSE ${fmt(r.rmse)}  MAPE ${r.mape === undefined ? '– (an actual value is 0)' : `${r.mape.toFixed(2)}%`}  MASE ${fmt(r.mase, 3)}${r.mase_seasonal !== undefined ? `  seasonal MASE ${fmt(r.mase_seasonal, 3)}` : ''}`,
  );
  console.log(
    `baselines: naive MAE ${fmt(r.naive_mae)}${r.snaive_mae !== undefined ? `  seasonal naive MAE ${fmt(r.snaive_mae)}` : ''}  linear AR MAE ${fmt(r.ar_mae)}`,
  );
}
