import * as tf from '@tensorflow/tfjs';
import { StreamBatcher, TokenSource } from '../../data';
import { prefetch } from '../../training/reads';
import type { LayerState } from '../../model/layers';
import { disposeState, LanguageModel } from '../../model/model';

const LN2 = Math.log(2);

export interface EvalResult {
  loss: number;
  perplexity: number;
  bpc: number;
  tokens: number;
}

/**
 * Mean validation cross-entropy over up to `maxTokens` tokens, read as parallel streams with the
 * state carried, like training but without dropout. bpc uses the split's characters per token.
 */
export async function evaluate(
  model: LanguageModel,
  tokens: TokenSource,
  chars: number,
  T: number,
  B: number,
  maxTokens = 0,
): Promise<EvalResult | null> {
  if (tokens.length < 2) return null;
  const Te = Math.min(T, tokens.length - 1);
  const Be = StreamBatcher.fitBatch(tokens.length, B, Te);
  const batcher = new StreamBatcher(tokens, Be, Te);
  const nWin =
    maxTokens > 0
      ? Math.max(1, Math.min(batcher.windows, Math.floor(maxTokens / (Be * Te))))
      : batcher.windows;
  let state = model.zeroState(Be);
  let sum = 0;
  for (let w = 0; w < nWin; w++) {
    const { inputs, targets } = batcher.window(w);
    const final: LayerState[] = [];
    const l = tf.tidy(() => model.loss(inputs, targets, Te, Be, state, { training: false }, final));
    await prefetch([l]);
    sum += l.dataSync()[0];
    l.dispose();
    disposeState(state);
    state = final;
  }
  disposeState(state);
  const loss = sum / nWin;
  const charsPerToken = chars / tokens.length;
  return { loss, perplexity: Math.exp(loss), bpc: loss / LN2 / charsPerToken, tokens: nWin * Be * Te };
}
