import type { ModelConfig } from '../../src/engine/config';
import { TOP_K, type ModelTrace } from '../../src/engine/inspect/trace';
import type { Rng } from '../../src/engine/rng';

/** Pearson's r of two series, straight from its definition, in doubles: what the ranking is held to. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) [mx, my] = [mx + x[i] / n, my + y[i] / n];
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * A 2-layer LSTM trace of n positions whose h and c are random values in (−1, 1): unit
 * correlations computed on it can be checked against `pearson` without running a model.
 */
export function randomTrace(rng: Rng, n: number, H: number): ModelTrace {
  const config: ModelConfig = {
    cell: 'lstm',
    activation: 'tanh',
    vocabSize: 40,
    embedding: 4,
    hidden: H,
    layers: 2,
    dropout: 0,
  };
  const series = () => Float32Array.from({ length: n * H }, () => Math.tanh(3 * (rng.next() - 0.5)));
  return {
    config,
    tokens: new Int32Array(n),
    hidden: [series(), series()],
    cell: [series(), series()],
    surprisal: new Float32Array(n),
    topIds: new Int32Array(n * TOP_K),
    topProbs: new Float32Array(n * TOP_K),
  };
}
