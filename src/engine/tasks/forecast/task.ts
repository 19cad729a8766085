import * as tf from '@tensorflow/tfjs';
import type { ModelConfig, TrainConfig } from '../../config';
import type { TrainEvent } from '../../events';
import { paramGroup, Weights } from '../../model/shapes';
import { hash32, Rng } from '../../rng';
import { prefetch } from '../../training/reads';
import type { Task, TaskCheckpoint, TaskEval } from '../../training/task';
import type { ForecastData } from './data';
import {
  compareForecasts,
  type ForecastComparison,
  forecastFigures,
  modelForecast,
  standardise,
  windowInputs,
  windowTargets,
} from './forecasting';
import { ForecastModel, initForecastWeights } from './model';

/** A forecaster's manifest holds a tokenizer like every checkpoint; it reads numbers, so a placeholder. */
export const NO_TOKENIZER = { kind: 'char' as const, vocab: ['<unk>'] };

/** The model shape of a forecaster: layer 0 reads the columns, the head gives horizon values (or one). */
export function forecastModelConfig(shape: Omit<ModelConfig, 'vocabSize'>, data: ForecastData): ModelConfig {
  const { spec } = data;
  return {
    ...shape,
    embedding: spec.columns.length,
    inputs: spec.columns.length,
    vocabSize: spec.strategy === 'direct' ? spec.horizon : 1,
  };
}

export interface ForecastTaskOptions {
  model: ModelConfig;
  config: TrainConfig;
  data: ForecastData;
  weights?: Weights;
  /** The epoch and step the run is at (a resume continues its shuffle). */
  epoch: number;
  step: number;
  /** The detailed evaluation (forecastEval) goes to the run's events. */
  emit: (e: TrainEvent) => void;
}

/** How many rows of data before the end the dashboard's future chart shows. */
const FUTURE_CONTEXT = 48;

/**
 * Windows of past values → the next horizon values (or one, fed back when recursive): batches of
 * windows drawn in a seeded order each epoch, loss on standardised values, and evaluations in the
 * target's own units beside the naive, seasonal-naive and autoregressive baselines.
 */
export class ForecastTask implements Task {
  readonly model: ForecastModel;
  readonly trainable: [string, tf.Variable][];
  readonly lrScale: Record<string, number> = {};
  readonly batchesPerEpoch: number;
  readonly itemsPerBatch: number;
  private readonly B: number;
  private readonly z: Float32Array[];
  private order: number[] = [];
  private epoch: number;
  /** The step of the latest batch: evaluations follow it. */
  private step: number;

  constructor(private readonly o: ForecastTaskOptions) {
    const m = o.model;
    this.model = new ForecastModel(m, o.weights ?? initForecastWeights(m, o.config.seed, o.config.init));
    // PyTorch's b_ih + b_hh trained as one bias at twice the rate (as the language model does).
    if (o.config.init === 'pytorch' && m.cell !== 'gru')
      for (let l = 0; l < m.layers; l++) this.lrScale[`layer_${l}/bias`] = 2;
    this.trainable = [...this.model.params];
    const n = o.data.trainOrigins.length;
    this.B = Math.min(o.config.batch, n);
    this.batchesPerEpoch = Math.floor(n / this.B);
    this.itemsPerBatch = this.B;
    this.z = standardise(o.data.train, o.data.spec.norm);
    this.epoch = o.epoch;
    this.step = o.step;
    this.shuffle();
  }

  get params(): Map<string, tf.Variable> {
    return this.model.params;
  }

  get parameters(): number {
    return [...this.model.params.values()].reduce((a, v) => a + v.size, 0);
  }

  /** The epoch's order of training windows: seeded by the run's seed and the epoch, so a resume repeats it. */
  private shuffle(): void {
    const rng = new Rng(hash32(this.o.config.seed, this.epoch + 1));
    const order = this.o.data.trainOrigins.slice();
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    this.order = order;
  }

  group(param: string): string {
    return paramGroup(param);
  }

  /** The window origins of batch `index` of the current epoch (a parity check replays them elsewhere). */
  batchOrigins(index: number): number[] {
    return this.order.slice(index * this.B, (index + 1) * this.B);
  }

  loss(index: number, step: number): tf.Scalar {
    const { spec } = this.o.data;
    this.step = step;
    const origins = this.batchOrigins(index);
    const outputs = this.o.model.vocabSize;
    const x = windowInputs(this.z, origins, spec.window);
    const y = windowTargets(this.z, origins, outputs);
    return this.model.loss(x, y, spec.window, this.B, spec.loss, hash32(this.o.config.seed, step));
  }

  commitStep(): undefined {
    return undefined;
  }

  startEpoch(): void {
    this.epoch++;
    this.shuffle();
  }

  async evaluate(): Promise<TaskEval | null> {
    const { data, emit } = this.o;
    const { spec, val, valOrigins } = data;
    if (valOrigins.length === 0) return null;
    const c = await compareForecasts(this.model, spec, val, valOrigins);
    const fields = forecastFigures(c);
    // The loss in the training objective's terms: on standardised values, over every step ahead.
    const sd = spec.norm.std[0];
    const loss = spec.loss === 'mse' ? (fields.rmse / sd) ** 2 : fields.mae / sd;
    emit(await this.detail(c, fields));
    return { loss, fields, bpc: null, score: fields.mae };
  }

  private async detail(c: ForecastComparison, fields: Record<string, number>): Promise<TrainEvent> {
    const { spec, val, train } = this.o.data;
    const H = spec.horizon;
    const oneStep = c.origins.map((_, i) => c.model[i * H]);
    const actual = c.origins.map((t) => val.values[0][t]);
    const y = train.values[0];
    const end = y.length;
    const future = await modelForecast(this.model, spec, train, [end]);
    const from = Math.max(0, end - FUTURE_CONTEXT);
    const baselines = [
      { name: 'naive' as const, mae: fields.naive_mae, rmse: fields.naive_rmse },
      ...(fields.snaive_mae !== undefined
        ? [{ name: 'seasonal' as const, mae: fields.snaive_mae, rmse: fields.snaive_rmse }]
        : []),
      { name: 'ar' as const, mae: fields.ar_mae, rmse: fields.ar_rmse },
    ];
    return {
      type: 'forecastEval',
      time: Date.now(),
      step: this.step,
      mae: fields.mae,
      rmse: fields.rmse,
      baselines,
      series: { times: c.origins.map((t) => val.times[t]), actual, oneStep },
      future: {
        times: [...train.times.slice(from), ...Array.from({ length: H }, (_, h) => `+${h + 1}`)],
        actual: Array.from(y.subarray(from)),
        forecast: Array.from(future),
      },
      residuals: actual.map((a, i) => a - oneStep[i]),
    };
  }

  sample(): null {
    return null;
  }

  async checkpoint(): Promise<TaskCheckpoint> {
    await prefetch([...this.model.params.values()]);
    return {
      model: this.o.model,
      tokenizer: NO_TOKENIZER,
      weights: this.model.exportWeights(),
      carry: [],
      task: 'forecast',
      spec: this.o.data.spec as unknown as Record<string, unknown>,
    };
  }

  dispose(): void {
    this.model.dispose();
  }
}
