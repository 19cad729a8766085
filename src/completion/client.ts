import { EventEmitter } from 'events';
import { Worker } from 'worker_threads';
import type { CompleteOptions } from '../engine/inference/completer';
import { CompletionToHost, HostToCompletion, isCompletionToHost } from './protocol';

export interface CompletionQuery {
  checkpoint: string;
  docId: string;
  text: string;
  textStart: number;
  options: CompleteOptions;
  prime?: string;
  /** Mix the model with its run's n-gram (seqlab.completion.ngram). */
  ngram?: boolean;
  /** options.minConfidence is the shipped default: the model alone uses its own (see protocol). */
  defaultMinConfidence?: boolean;
}

/** The part of a cancellation token the client needs (vscode's and test doubles fit). */
export interface CancelSignal {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

/**
 * Talks to the completion worker: one request in flight per document is what the provider makes,
 * and the worker itself drops superseded ones. The worker starts on first use and again after
 * a crash; a crash fails the requests in flight instead of leaving them hanging. The worker's
 * notices (e.g. whether the n-gram mixture is in use) come as 'notice' events (level, message).
 */
export class CompletionClient extends EventEmitter {
  private worker?: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, (m: CompletionToHost) => void>();

  constructor(private readonly workerPath: string) {
    super();
  }

  request(q: CompletionQuery, cancel?: CancelSignal): Promise<CompletionToHost> {
    const id = this.nextId++;
    if (cancel?.isCancellationRequested) return Promise.resolve({ type: 'dropped', id });
    const w = this.ensureWorker();
    return new Promise((resolve) => {
      const sub = cancel?.onCancellationRequested(() => this.send({ type: 'cancel', id }));
      this.pending.set(id, (m) => {
        sub?.dispose();
        resolve(m);
      });
      this.send({ type: 'complete', id, ...q }, w);
    });
  }

  forget(docId: string): void {
    if (this.worker) this.send({ type: 'forget', docId });
  }

  dispose(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private send(m: HostToCompletion, w = this.worker): void {
    w?.postMessage(m);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.workerPath);
    // An idle completion worker must not keep a CLI or test process alive.
    w.unref();
    w.on('message', (m: unknown) => {
      if (!isCompletionToHost(m)) {
        this.emit(
          'log',
          `ignored a malformed message from the completion worker: ${JSON.stringify(m).slice(0, 200)}`,
        );
        return;
      }
      if (m.type === 'notice') {
        this.emit('notice', m.level, m.message);
        return;
      }
      const done = this.pending.get(m.id);
      this.pending.delete(m.id);
      done?.(m);
    });
    const fail = (why: string) => {
      if (this.worker === w) this.worker = undefined;
      for (const [id, done] of this.pending) done({ type: 'failed', id, failure: 'internal', message: why });
      this.pending.clear();
    };
    w.on('error', (err) => fail(`the completion worker crashed: ${err.message}`));
    w.on('exit', (code) => fail(`the completion worker exited (code ${code})`));
    this.worker = w;
    return w;
  }
}
