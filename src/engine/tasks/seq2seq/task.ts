import type * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../../config';
import type { Seq2seqEvalEvent } from '../../events';
import { hash32 } from '../../rng';
import { prefetch } from '../../training/reads';
import type { Task, TaskCheckpoint, TaskEval } from '../../training/task';
import type { Weights } from '../../model/model';
import type { Seq2seqData } from './data';
import { attendedPieces, beamSearch } from './decode';
import { targetLoss, translateAndScore } from './evaluate';
import { initSeq2seqWeights, Seq2seqModel, Seq2seqShape } from './model';
import type { Seq2seqOptions } from './options';
import { seq2seqSpec } from './spec';

export interface Seq2seqTaskOptions {
  shape: Seq2seqShape;
  config: TrainConfig;
  options: Seq2seqOptions;
  data: Seq2seqData;
  weights?: Weights;
  /** Receives the validation examples (and the attention of the first) at each evaluation. */
  emit?: (e: Seq2seqEvalEvent) => void;
  /** Evaluations already done by the run (a resume), for the every-K cadence of BLEU. */
  evaluationsBefore?: number;
}

/** Examples shown in the dashboard's table at each evaluation. */
const EXAMPLES = 8;

/** Attention weights to 4 decimals: metrics.jsonl holds them at every evaluation. */
const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * Translation (or summarisation) as a training task: teacher-forced label-smoothed cross-entropy
 * over padded batches of pairs; each evaluation the loss and perplexity per target token, and every
 * `bleuEvery` evaluations BLEU, chrF (and ROUGE-L for summaries) of greedy outputs on a subset.
 */
export class Seq2seqTask implements Task {
  readonly model: Seq2seqModel;
  readonly trainable: [string, tf.Variable][];
  readonly lrScale: Record<string, number> = {};
  readonly batchesPerEpoch: number;
  readonly itemsPerBatch: number;
  private evaluations: number;
  private step = 0;

  constructor(private readonly o: Seq2seqTaskOptions) {
    this.model = new Seq2seqModel(
      o.shape,
      o.weights ?? initSeq2seqWeights(o.shape, o.config.seed, o.config.init),
    );
    this.trainable = [...this.model.params];
    this.batchesPerEpoch = o.data.batches.count;
    let tokens = 0;
    for (let i = 0; i < this.batchesPerEpoch; i++) tokens += o.data.batches.tokens(i);
    this.itemsPerBatch = Math.max(1, Math.round(tokens / Math.max(1, this.batchesPerEpoch)));
    this.evaluations = o.evaluationsBefore ?? 0;
  }

  get params(): Map<string, tf.Variable> {
    return this.model.params;
  }

  group(param: string): string {
    const parts = param.split('/');
    return parts[0] === 'encoder' ? `encoder/${parts[1]}` : parts[0];
  }

  loss(index: number, step: number): tf.Scalar {
    this.step = step;
    const batch = this.o.data.batches.batch(index);
    return this.model.loss(batch, this.o.options.labelSmoothing, {
      training: true,
      dropoutSeed: hash32(this.o.config.seed, step),
    });
  }

  commitStep(): undefined {
    return undefined;
  }

  startEpoch(): void {}

  async evaluate(): Promise<TaskEval | null> {
    const { data, config, options } = this.o;
    const val = data.val.length ? data.val : data.train.slice(0, Math.min(64, data.train.length));
    const r = await targetLoss(this.model, data.source, data.target, val, config.batch, config.evalTokens);
    if (!r.tokens) return null;
    const fields: Record<string, number> = { perplexity: Math.exp(r.loss) };
    this.evaluations++;
    if ((this.evaluations - 1) % Math.max(1, options.bleuEvery) === 0) {
      const subset = val.slice(0, options.bleuPairs);
      const s = await translateAndScore(
        this.model,
        data.source,
        data.target,
        subset,
        { beam: 1, lengthPenalty: options.lengthPenalty, maxLenRatio: options.maxLenRatio, blockNgram: 0 },
        config.batch,
      );
      fields.bleu = s.bleu;
      fields.chrf = s.chrf;
      if (options.purpose === 'summarize') fields.rougeL = s.rougeL;
      await this.emitExamples(subset.slice(0, EXAMPLES), s.outputs);
    }
    // The best checkpoint is chosen by the loss: BLEU on a subset of greedy outputs is noisier.
    return { loss: r.loss, fields, bpc: null };
  }

  private async emitExamples(pairs: Seq2seqData['val'], outputs: string[]): Promise<void> {
    if (!this.o.emit || pairs.length === 0) return;
    const { data, options } = this.o;
    const greedy = {
      beam: 1,
      lengthPenalty: options.lengthPenalty,
      maxLenRatio: options.maxLenRatio,
      blockNgram: 0,
    };
    this.o.emit({
      type: 'seq2seqEval',
      time: Date.now(),
      step: this.step,
      examples: await mapInOrder(pairs, async (p, i) => {
        // Width 1 decodes as the batched greedy pass did, and returns the attention it used.
        const d = await beamSearch(this.model, data.target, p.src, greedy);
        return {
          source: p.pair.source,
          reference: p.pair.target,
          output: outputs[i],
          attention: {
            source: data.source.pieces(p.src),
            output: attendedPieces(data.target, d),
            weights: d.attention.map((row) => row.map(round4)),
          },
        };
      }),
    });
  }

  sample(): null {
    return null;
  }

  async checkpoint(): Promise<TaskCheckpoint> {
    await prefetch([...this.model.params.values()]);
    const { data, options, shape } = this.o;
    return {
      model: shape.model,
      tokenizer: data.target.displayTokenizer(),
      weights: this.model.exportWeights(),
      carry: [],
      task: 'seq2seq',
      spec: seq2seqSpec(shape, options, data.source.tokenizer, data.target.tokenizer),
    };
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** fn over xs one at a time (decoding shares the backend's queue: no gain in overlapping). */
async function mapInOrder<T, R>(xs: readonly T[], fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < xs.length; i++) out.push(await fn(xs[i], i));
  return out;
}
