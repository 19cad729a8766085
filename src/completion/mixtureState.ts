// The completion worker's n-gram for the loaded checkpoint: built once per checkpoint in a thread
// of its own, then mixed with the model (completionMixture) for every suggestion after.
import * as path from 'path';
import { Worker } from 'worker_threads';
import { DEFAULT_NGRAM_ORDER } from '../engine/completion/evaluate';
import { completionMixture } from '../engine/completion/mixture';
import { CharNgramModel } from '../engine/completion/ngram';
import { NGRAM_MAX_CHARS, ngramSourceOf } from '../engine/completion/ngramSource';
import { MODEL_ALONE_MIN_CONFIDENCE } from '../engine/completion/policy';
import { CompleteOptions, Completer } from '../engine/inference/completer';
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
export const RETRY_MS = 30_000;

/**
 * When (performance.now() time) to look for the n-gram's text again after `src` said there is
 * none: soon when the source says its reason may pass by itself, never otherwise.
 */
export function nextLookAt(src: { transient: boolean }, now: number): number {
  return src.transient ? now + RETRY_MS : Infinity;
}

/**
 * The options a request is completed with. A minConfidence the user did not set is the default
 * chosen for the mixture; the model alone (no n-gram for this checkpoint, or the setting off)
 * gets the default chosen for it instead. A value the user set is never changed.
 */
export function completionOptions(
  o: CompleteOptions,
  mixture: boolean,
  defaultMinConfidence: boolean | undefined,
): CompleteOptions {
  return mixture || !defaultMinConfidence ? o : { ...o, minConfidence: MODEL_ALONE_MIN_CONFIDENCE };
}

/**
 * The model alone, and the mixture once its n-gram is built. `completer(on)` never waits: until
 * the builder thread answers, suggestions come from the model alone. Turning the setting off drops
 * the n-gram (its memory is the point of the setting); turning it on again rebuilds it. Each
 * reason for the model alone is told once per checkpoint. Only the completer in use keeps
 * per-document states: once the mixture is ready the model alone's completer is dropped, and made
 * afresh (documents re-read) if completion falls back to it.
 */
export class NgramState {
  private alone?: Completer;
  private mixed?: Completer;
  private builder?: Worker;
  private state: 'idle' | 'building' | 'ready' | 'off' = 'idle';
  private retryAt = Infinity;
  private readonly told = new Set<string>();

  constructor(
    private readonly m: LoadedModel,
    private readonly notify: Notify,
    private readonly builderPath = path.join(__dirname, 'ngramWorker.js'),
  ) {}

  completer(on: boolean): { completer: Completer; mixture: boolean } {
    if (!on) this.stop();
    else if (this.state === 'idle' || (this.state === 'off' && performance.now() >= this.retryAt))
      this.start();
    if (this.mixed) return { completer: this.mixed, mixture: true };
    this.alone ??= new Completer(this.m.model, this.m.tokenizer);
    return { completer: this.alone, mixture: false };
  }

  forget(docId: string): void {
    this.alone?.forget(docId);
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
      this.retryAt = nextLookAt(src, performance.now());
      this.tell('warn', `completion uses the model alone: ${src.why} (${src.where}). ${src.hint}`);
      return;
    }
    // Found: a build that fails now is final for this checkpoint, not retried at every request.
    this.retryAt = Infinity;
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
      // Its documents' states would only be held twice: the mixture keeps its own from now on.
      this.alone = undefined;
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
