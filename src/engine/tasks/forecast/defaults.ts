import { DEFAULT_TRAIN_CONFIG, mergeConfig, TrainConfig } from '../../config';

/**
 * Where a forecaster's training starts when no flag says otherwise: a series holds thousands of
 * values, not millions of tokens, so a small model, larger steps and frequent evaluations.
 */
export const FORECAST_BASE_CONFIG: TrainConfig = mergeConfig(DEFAULT_TRAIN_CONFIG, {
  task: 'forecast',
  model: { cell: 'lstm', hidden: 32, layers: 1, dropout: 0 },
  batch: 32,
  lr: 5e-3,
  steps: 1000,
  evalEvery: 100,
  sampleLength: 0,
  valFraction: 0.2,
});
