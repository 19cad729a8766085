// The forecaster (--task forecast): a CSV's numeric series → windows → recurrent layers → the next values.
export { trainForecaster } from './train';
export { prepareForecastData, forecastOptions, type ForecastData } from './data';
export { readTable, parseTable, previewColumns, type Table, type ColumnPreview } from './table';
export { readSeries, fitNormalisation, windowOrigins, type Series, type Normalisation } from './series';
export { ForecastModel, initForecastWeights, regressionLoss } from './model';
export {
  compareForecasts,
  forecastFigures,
  modelForecast,
  type ForecastSpec,
  type ForecastComparison,
} from './forecasting';
export {
  loadForecaster,
  evaluateForecasterOnFile,
  forecastFile,
  forecastCsv,
  type FileEvaluation,
  type FileForecast,
} from './use';
export { FORECAST_BASE_CONFIG } from './defaults';
