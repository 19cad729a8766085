import * as tf from '@tensorflow/tfjs';
import type { TensorEntry } from '../../checkpoint';
import type { ModelConfig, TrainConfig } from '../../config';
import { InferenceModel } from '../../inference/stepModel';
import { LayerState, TimestepGradRecorder } from '../../model/layers';
import { disposeState, initWeights, LanguageModel, paramGroup, Weights } from '../../model/model';
import { hash32 } from '../../rng';
import { generate } from '../../sample';
import type { Task, TaskCheckpoint, TaskEval } from '../../training/task';
import type { LanguageData } from './data';
import { evaluate } from './evaluate';

export interface LanguageModelTaskOptions {
  model: ModelConfig;
  /** The run's configuration: seed, init, batch, evalTokens, sampleLength. */
  config: TrainConfig;
  data: LanguageData;
  /** Weights to start from (resume, fine-tune); else initialised from the seed. */
  weights?: Weights;
  /** Recurrent state saved by a checkpoint, used when it fits this batch. */
  carry: TensorEntry[];
  /** Parameter groups that do not train (embedding, layer_0…). */
  frozen: Set<string>;
}

/**
 * Next-token prediction over a corpus read as B parallel streams: truncated BPTT with the state
 * carried from window to window (reset each epoch), dropout seeded by step, evaluation on the
 * validation split and a sample from its first line.
 */
export class LanguageModelTask implements Task {
  readonly model: LanguageModel;
  readonly trainable: [string, tf.Variable][];
  readonly lrScale: Record<string, number> = {};
  readonly batchesPerEpoch: number;
  readonly itemsPerBatch: number;
  private readonly B: number;
  private readonly T: number;
  private state: LayerState[];
  private final: LayerState[] = [];
  private recorder: TimestepGradRecorder | undefined;
  private readonly primeText: string;

  constructor(private readonly o: LanguageModelTaskOptions) {
    const m = o.model;
    this.model = new LanguageModel(m, o.weights ?? initWeights(m, o.config.seed, o.config.init));
    // PyTorch's b_ih + b_hh: two parameters with the same gradient move together, each by one
    // optimizer step, which is one bias moving two steps (for Adam, RMSprop and SGD alike).
    if (o.config.init === 'pytorch' && m.cell !== 'gru')
      for (let l = 0; l < m.layers; l++) this.lrScale[`layer_${l}/bias`] = 2;
    this.trainable = [...this.model.params].filter(([name]) => !o.frozen.has(paramGroup(name)));
    this.B = o.data.batcher.B;
    this.T = o.config.seqLen;
    this.batchesPerEpoch = o.data.batcher.windows;
    this.itemsPerBatch = this.B * this.T;
    this.state = this.restoreState(o.carry);
    this.primeText = o.data.primeSource.slice(0, 40).split('\n')[0].slice(0, 24);
  }

  get params(): Map<string, tf.Variable> {
    return this.model.params;
  }

  /** Parameter count of the whole model (frozen ones too). */
  get parameters(): number {
    return [...this.model.params.values()].reduce((a, v) => a + v.size, 0);
  }

  /** The checkpoint's carried state when it has one h (and c) per layer for this batch size. */
  private restoreState(carry: TensorEntry[]): LayerState[] {
    const m = this.o.model;
    const B = this.B;
    const fits =
      carry.length === m.layers * (m.cell === 'lstm' ? 2 : 1) && carry.every((c) => c.shape[0] === B);
    if (!fits) return this.model.zeroState(B);
    const get = (name: string) =>
      tf.keep(tf.tensor2d(carry.find((c) => c.name === name)!.data, [B, m.hidden]));
    return Array.from({ length: m.layers }, (_, l) => ({
      h: get(`h_${l}`),
      c: m.cell === 'lstm' ? get(`c_${l}`) : undefined,
    }));
  }

  group(param: string): string {
    return paramGroup(param);
  }

  loss(index: number, step: number, record: boolean): tf.Scalar {
    const { inputs, targets } = this.o.data.batcher.window(index);
    this.recorder = record ? new TimestepGradRecorder() : undefined;
    this.final = [];
    const opts = { training: true, dropoutSeed: hash32(this.o.config.seed, step), recorder: this.recorder };
    return this.model.loss(inputs, targets, this.T, this.B, this.state, opts, this.final);
  }

  commitStep(): number[][] | undefined {
    disposeState(this.state);
    this.state = this.final;
    this.final = [];
    const norms = this.recorder?.read();
    this.recorder = undefined;
    return norms;
  }

  startEpoch(): void {
    disposeState(this.state);
    this.state = this.model.zeroState(this.B);
  }

  evaluate(): TaskEval | null {
    const { config, data } = this.o;
    const r = evaluate(this.model, data.valTokens, data.valChars, this.T, config.batch, config.evalTokens);
    return r ? { loss: r.loss, fields: { perplexity: r.perplexity, bpc: r.bpc }, bpc: r.bpc } : null;
  }

  sample(step: number): { prime: string; text: string } | null {
    const { config, data } = this.o;
    if (config.sampleLength <= 0) return null;
    const inf = new InferenceModel(this.o.model, this.model.exportWeights());
    const text = generate(inf, data.tokenizer, {
      prime: this.primeText,
      maxLength: config.sampleLength,
      temperature: 0.8,
      seed: hash32(config.seed, step),
    });
    return { prime: this.primeText, text };
  }

  checkpoint(): TaskCheckpoint {
    const carry: TensorEntry[] = [];
    this.state.forEach((s, l) => {
      carry.push({ name: `h_${l}`, shape: s.h.shape.slice(), data: s.h.dataSync() as Float32Array });
      if (s.c) carry.push({ name: `c_${l}`, shape: s.c.shape.slice(), data: s.c.dataSync() as Float32Array });
    });
    return {
      model: this.o.model,
      tokenizer: this.o.data.tokenizer.toJSON(),
      weights: this.model.exportWeights(),
      carry,
    };
  }

  dispose(): void {
    disposeState(this.state);
    this.model.dispose();
  }
}
