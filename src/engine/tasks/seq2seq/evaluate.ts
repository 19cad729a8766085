import * as tf from '@tensorflow/tfjs';
import { readValues } from '../../training/reads';
import { corpusBleu, corpusChrf, rougeL } from '../../metrics';
import { makeBatch, type EncodedPair } from './data';
import { beamSearch, greedyBatch, type DecodeOptions } from './decode';
import type { Seq2seqModel } from './model';
import type { SideVocab } from './vocab';

/** Mean cross-entropy (nats) per target token, end token included, over `pairs`. */
export async function targetLoss(
  model: Seq2seqModel,
  source: SideVocab,
  target: SideVocab,
  pairs: EncodedPair[],
  batch: number,
  maxTokens = 0,
): Promise<{ loss: number; tokens: number }> {
  let sum = 0;
  let tokens = 0;
  for (let i = 0; i < pairs.length; i += batch) {
    if (maxTokens > 0 && tokens >= maxTokens) break;
    const part = pairs.slice(i, i + batch);
    const b = makeBatch(part, source, target);
    const n = part.reduce((a, p) => a + p.tgt.length + 1, 0);
    const t = tf.tidy(() => model.loss(b, 0, { training: false }));
    const l = (await readValues(t).finally(() => t.dispose()))[0];
    sum += l * n;
    tokens += n;
  }
  return { loss: tokens ? sum / tokens : NaN, tokens };
}

export interface TranslationScores {
  bleu: number;
  chrf: number;
  rougeL: number;
  outputs: string[];
  /** Output ids per pair (for the attention of a chosen example). */
  ids: number[][];
  attention: (number[][] | undefined)[];
}

/** Translates `pairs` (greedy in batches when the beam is 1) and scores them against their targets. */
export async function translateAndScore(
  model: Seq2seqModel,
  source: SideVocab,
  target: SideVocab,
  pairs: EncodedPair[],
  o: DecodeOptions,
  batch: number,
): Promise<TranslationScores> {
  const ids: number[][] = [];
  const attention: (number[][] | undefined)[] = [];
  if (o.beam <= 1 && o.blockNgram <= 0) {
    for (let i = 0; i < pairs.length; i += batch) {
      ids.push(...(await greedyBatch(model, source, target, pairs.slice(i, i + batch), o.maxLenRatio)));
      attention.push(...pairs.slice(i, i + batch).map(() => undefined));
    }
  } else
    for (const p of pairs) {
      const d = await beamSearch(model, target, p.src, o);
      ids.push(d.ids);
      attention.push(d.attention);
    }
  const outputs = ids.map((x) => target.decode(x));
  const refs = pairs.map((p) => p.pair.target);
  return {
    bleu: corpusBleu(outputs, refs).score,
    chrf: corpusChrf(outputs, refs),
    rougeL: rougeL(outputs, refs),
    outputs,
    ids,
    attention,
  };
}
