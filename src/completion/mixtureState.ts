// The completion worker's n-gram for the loaded checkpoint: built once per checkpoint in a thread
// of its own, then mixed with the model (completionMixture) for every suggestion after.
import * as path from 'path';
import { Worker } from 'worker_threads';
import { DEFAULT_NGRAM_ORDER } from '../engine/completion/evaluate';
import { completionMixture } from '../engine/completion/mixture';
import { CharNgramModel } from '../engine/completion/ngram';
import { NGRAM_MAX_CHARS, ngramSourceOf } from '../engine/completion/ngramSource';
import { Completer } from '../engine/inference/completer';
import type { StepModel } from '../engine/inference/stepModel';
import type { Tokenizer, TokenizerJSON } from '../engine/tokenizers';
import type { NgramBuilderMessage, NgramJob } from './ngramProtocol';

export interface LoadedModel {
  dir: string;
  model: StepModel;
  tokenizer: Tokenizer;
  tokenizerJSON: TokenizerJSON;
}

export type Notify = (level: 'info' | 'warn', message: string) => void;

/** How soon a missing training folder is looked for again (it may be back: a branch switch, a remount). */
const RETRY_MS = 30_000;

/**
 * The model alone, and the mixture once its n-gram is built. `completer(on)` never waits: until
 * the builder thread answers, suggestions come from the model alone. Turning the setting off drops
 * the n-gram (its memory is the point of the setting); turning it on again rebuilds it. Each
 * reason for the model alone is told once per checkpoint.
 */
export class NgramState {
  private readonly alone: Completer;
  private mixed?: Completer;
  private builder?: Worker;
  private state: 'idle' | 'building' | 'ready' | 'off' = 'idle';
  private retryAt = Infinity;
  private readonly told = new Set<string>();

  constructor(
    private readonly m: LoadedModel,
    private readonly notify: Notify,
    private readonly builderPath = path.join(__dirname, 'ngramWorker.js'),
  ) {
    this.alone = new Completer(m.model, m.tokenizer);
  }

  completer(on: boolean): { completer: Completer; mixture: boolean } {
    if (!on) this.stop();
    else if (this.state === 'idle' || (this.state === 'off' && performance.now() >= this.retryAt))
      this.start();
    return this.mixed ? { completer: this.mixed, mixture: true } : { completer: this.alone, mixture: false };
  }

  forget(docId: string): void {
    this.alone.forget(docId);
    this.mixed?.forget(docId);
  }

  /** Drops the n-gram and any build under way (the model stays: the worker disposes it). */
  stop(): void {
    void this.builder?.terminate();
    this.builder = undefined;
    this.mixed = undefined;
    this.state = 'idle';
    this.retryAt = Infinity;
  }

  private tell(level: 'info' | 'warn', message: string): void {
    if (this.told.has(message)) return;
    this.told.add(message);
    this.notify(level, message);
  }

  private start(): void {
    const src = ngramSourceOf(this.m.dir, this.m.tokenizerJSON);
    if (!src.ok) {
      this.state = 'off';
      // Only a missing folder can come back by itself.
      this.retryAt = /no longer exists/.test(src.why) ? performance.now() + RETRY_MS : Infinity;
      this.tell('warn', `completion uses the model alone: ${src.why} (${src.where}). ${src.hint}`);
      return;
    }
    const job: NgramJob = {
      folder: src.folder,
      options: src.options,
      order: DEFAULT_NGRAM_ORDER,
      maxChars: NGRAM_MAX_CHARS,
    };
    this.state = 'building';
    const w = new Worker(this.builderPath, { workerData: job });
    // A build must not keep a CLI or test process alive.
    w.unref();
    this.builder = w;
    const failed = (why: string) => {
      if (this.builder !== w) return;
      this.builder = undefined;
      this.state = 'off';
      this.tell(
        'warn',
        `completion uses the model alone: its n-gram could not be built from ${src.folder}: ${why}. Check the run's training folder, or set seqlab.completion.ngram to false.`,
      );
    };
    w.once('message', (msg: NgramBuilderMessage) => {
      if (msg.type === 'failed') return failed(msg.message);
      if (this.builder !== w) return;
      this.builder = undefined;
      const { tokenizer } = this.m;
      const ngram = new CharNgramModel(msg.tables);
      this.mixed = new Completer(completionMixture(this.m.model, tokenizer, ngram), tokenizer);
      this.state = 'ready';
      const mb = (msg.bytes / 2 ** 20).toFixed(1);
      const part = msg.capped
        ? ` (the ${msg.files} most recently modified of ${msg.trainFiles} training files: the cap is ${NGRAM_MAX_CHARS.toLocaleString('en-US')} characters)`
        : ` (${msg.files} training files)`;
      this.tell(
        'info',
        `completion: the model is mixed with a ${ngram.order}-gram of ${msg.chars.toLocaleString('en-US')} characters of ${src.folder}${part}, built in ${(msg.ms / 1000).toFixed(1)} s, ${mb} MB`,
      );
    });
    w.once('error', (err) => failed(err.message));
    w.once('exit', (code) => code !== 0 && failed(`the builder thread exited (code ${code})`));
  }
}
