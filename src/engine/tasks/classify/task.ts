import * as tf from '@tensorflow/tfjs';
import type { ModelConfig, TrainConfig } from '../../config';
import type { TrainEvent } from '../../events';
import { paramGroup } from '../../model/shapes';
import type { Weights } from '../../model/shapes';
import { hash32, Rng } from '../../rng';
import { prefetch, readValues } from '../../training/reads';
import type { Tokenizer } from '../../tokenizers';
import type { Task, TaskCheckpoint, TaskEval } from '../../training/task';
import type { BaselineResult } from './baselines';
import { bucketedBatches, EncodedSet, makeBatch } from './batch';
import { evaluateClassifier } from './evaluate';
import { ClassifierNet, initClassifierWeights } from './model';
import type { ClassifierSpec, ClassifyOptions } from './spec';

export interface ClassifierTaskOptions {
  model: ModelConfig;
  spec: ClassifierSpec;
  options: ClassifyOptions;
  config: TrainConfig;
  tokenizer: Tokenizer;
  train: EncodedSet;
  val: EncodedSet;
  baselines: BaselineResult[];
  /** Weights to start from (resume, or a language model's encoder with a fresh head). */
  weights?: Weights;
  /** The loop's counters at the start (resume): epoch seeds the batch order, step the unfreezing. */
  epoch: number;
  step: number;
  /** Whether the encoder came from a language model (gradual unfreezing applies only then). */
  fromLanguageModel: boolean;
  emit: (e: TrainEvent) => void;
}

/** ULMFiT's factor between the learning rates of neighbouring layers (Howard & Ruder 2018). */
export const DISCRIMINATIVE_FACTOR = 2.6;

/**
 * Classification of whole texts: length-bucketed batches of examples, one label each, the
 * (optionally class-weighted) cross-entropy of the pooled encoder's logits, evaluation with
 * accuracy, macro-F1 and the confusion matrix, best checkpoint by macro-F1 (or loss).
 */
export class ClassifierTask implements Task {
  readonly net: ClassifierNet;
  readonly lrScale: Record<string, number> = {};
  readonly batchesPerEpoch: number;
  readonly itemsPerBatch: number;
  private batches: number[][] = [];
  private epoch: number;
  private step: number;
  private readonly classWeights?: Float32Array;
  /** Levels from the bottom: 0 the embedding, 1..L the recurrent layers, L+1 the head. */
  private readonly top: number;

  /**
   * The task, its head standardized where the spec asks: that reads the encoder's features back,
   * which on a GPU is asynchronous, hence a factory rather than the constructor.
   */
  static async create(o: ClassifierTaskOptions): Promise<ClassifierTask> {
    const task = new ClassifierTask(o);
    try {
      if (o.spec.standardize && !o.weights?.has('classifier/shift')) await task.standardizeFeatures();
      return task;
    } catch (err) {
      task.dispose();
      throw err;
    }
  }

  private constructor(private readonly o: ClassifierTaskOptions) {
    const { model, spec, config, options } = o;
    // A language model's encoder brings no head (nor attention query): those start fresh.
    const fresh = initClassifierWeights(model, spec, config.seed, config.init);
    this.net = new ClassifierNet(model, spec, o.weights ? new Map([...fresh, ...o.weights]) : fresh);
    this.top = model.layers + 1;
    if (config.init === 'pytorch' && model.cell !== 'gru')
      for (const name of this.net.params.keys())
        if (/^layer_\d+(_rev)?\/bias$/.test(name)) this.lrScale[name] = 2;
    if (options.discriminativeLr)
      for (const name of this.net.params.keys())
        this.lrScale[name] =
          (this.lrScale[name] ?? 1) * DISCRIMINATIVE_FACTOR ** -(this.top - this.level(name));
    const N = o.train.seqs.length;
    const B = Math.min(config.batch, N);
    const meanLen = o.train.seqs.reduce((a, s) => a + s.length, 0) / Math.max(1, N);
    this.itemsPerBatch = Math.round(B * meanLen);
    if (options.classWeights) {
      const C = spec.labels.length;
      const counts = new Array<number>(C).fill(0);
      for (const y of o.train.labels) counts[y]++;
      this.classWeights = Float32Array.from(counts, (n) => (n ? N / (C * n) : 0));
    }
    this.epoch = o.epoch;
    this.step = o.step;
    this.shuffleEpoch();
    // Each chunk of 50 batches may end in a short one: count the batches bucketing makes.
    this.batchesPerEpoch = this.batches.length;
  }

  /** The head's shift and scale from the training set's pooled features: mean 0, spread 1 per unit. */
  private async standardizeFeatures(): Promise<void> {
    const { seqs, labels } = this.o.train;
    const D = this.net.param('classifier/shift').size;
    const sum = new Float64Array(D);
    const sq = new Float64Array(D);
    for (let i = 0; i < seqs.length; i += 64) {
      const b = makeBatch(seqs.slice(i, i + 64), labels.slice(i, i + 64));
      const f = tf.tidy(() => this.net.features(b, { training: false }));
      const x = await readValues(f).finally(() => f.dispose());
      for (let j = 0; j < x.length; j++) {
        sum[j % D] += x[j];
        sq[j % D] += x[j] * x[j];
      }
    }
    const N = Math.max(1, seqs.length);
    const mean = Float32Array.from(sum, (s) => s / N);
    // A unit that hardly varies is scaled up at most to what a variance of 1e-4 gives.
    const scale = Float32Array.from(sq, (s, j) => 1 / Math.sqrt(Math.max(0, s / N - mean[j] ** 2) + 1e-4));
    tf.tidy(() => {
      this.net.param('classifier/shift').assign(tf.neg(tf.tensor1d(mean)));
      this.net.param('classifier/scale').assign(tf.tensor1d(scale));
    });
  }

  get params(): Map<string, tf.Variable> {
    return this.net.params;
  }

  get parameters(): number {
    return [...this.net.params.values()].reduce((a, v) => a + v.size, 0);
  }

  /** A parameter's level from the bottom (embedding 0, recurrent layer l at l + 1, the head on top). */
  level(name: string): number {
    const m = /^layer_(\d+)/.exec(name);
    if (m) return Number(m[1]) + 1;
    return name === 'embedding' ? 0 : this.top;
  }

  /** The lowest level that trains now: gradual unfreezing lowers it by one every `unfreezeEvery` steps. */
  lowestTrained(): number {
    const { options } = this.o;
    if (!options.gradualUnfreeze || !this.o.fromLanguageModel) return 0;
    const every = options.unfreezeEvery > 0 ? options.unfreezeEvery : this.batches.length;
    return Math.max(0, this.top - Math.floor(this.step / every));
  }

  get trainable(): [string, tf.Variable][] {
    const lowest = this.lowestTrained();
    return [...this.net.params].filter(([name]) => this.level(name) >= lowest);
  }

  group(param: string): string {
    return paramGroup(param);
  }

  private shuffleEpoch(): void {
    const rng = new Rng(hash32(this.o.config.seed, this.epoch));
    const B = Math.min(this.o.config.batch, this.o.train.seqs.length);
    this.batches = bucketedBatches(
      this.o.train.seqs.map((s) => s.length),
      B,
      () => rng.next(),
    );
  }

  loss(index: number, step: number): tf.Scalar {
    const members = this.batches[index % this.batches.length];
    const { seqs, labels } = this.o.train;
    const b = makeBatch(
      members.map((i) => seqs[i]),
      members.map((i) => labels[i]),
    );
    return this.net.loss(
      b,
      { training: true, dropoutSeed: hash32(this.o.config.seed, step) },
      this.classWeights,
    );
  }

  commitStep(): undefined {
    this.step++;
    return undefined;
  }

  startEpoch(): void {
    this.epoch++;
    this.shuffleEpoch();
  }

  async evaluate(): Promise<TaskEval | null> {
    const { val, spec, options, config } = this.o;
    if (val.seqs.length === 0) return null;
    const r = await evaluateClassifier(this.net, val, config.batch);
    this.o.emit({
      type: 'classifyEval',
      time: Date.now(),
      step: this.step,
      labels: spec.labels,
      accuracy: r.metrics.accuracy,
      macro_f1: r.metrics.macro_f1,
      precision: r.metrics.precision,
      recall: r.metrics.recall,
      confusion: r.metrics.confusion,
      baselines: this.o.baselines,
      misclassified: r.misclassified.slice(0, 20).map((m) => ({
        text: m.example.text.slice(0, 300),
        source: m.example.source,
        truth: spec.labels[m.truth],
        predicted: spec.labels[m.predicted],
        probability: m.probability,
      })),
    });
    return {
      loss: r.loss,
      fields: { accuracy: r.metrics.accuracy, macro_f1: r.metrics.macro_f1 },
      bpc: null,
      score: options.bestBy === 'loss' ? r.loss : -r.metrics.macro_f1,
    };
  }

  sample(): null {
    return null;
  }

  async checkpoint(): Promise<TaskCheckpoint> {
    await prefetch([...this.net.params.values()]);
    return {
      model: this.o.model,
      tokenizer: this.o.tokenizer.toJSON(),
      weights: this.net.exportWeights(),
      carry: [],
      task: 'classify',
      spec: { ...this.o.spec },
    };
  }

  dispose(): void {
    this.net.dispose();
  }
}
