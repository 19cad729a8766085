import { EventEmitter } from 'events';
import { Worker } from 'worker_threads';
import { HostToInspect, InspectToHost, isInspectToHost } from './protocol';

/** A request without its id: the client numbers them. */
type Request = HostToInspect extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

/**
 * Talks to the inspect worker, like the completion client: the worker starts on first use and
 * again after a crash, and a crash fails the requests in flight instead of leaving them hanging.
 */
export class InspectClient extends EventEmitter {
  private worker?: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, (m: InspectToHost) => void>();

  constructor(private readonly workerPath: string) {
    super();
  }

  request(q: Request): Promise<InspectToHost> {
    const id = this.nextId++;
    const w = this.ensureWorker();
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      w.postMessage({ ...q, id });
    });
  }

  forget(docId: string): void {
    this.worker?.postMessage({ type: 'forget', docId } satisfies HostToInspect);
  }

  dispose(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.workerPath);
    w.unref();
    w.on('message', (m: unknown) => {
      if (!isInspectToHost(m)) {
        this.emit(
          'log',
          `ignored a malformed message from the inspect worker: ${JSON.stringify(m)?.slice(0, 200)}`,
        );
        return;
      }
      const done = this.pending.get(m.id);
      this.pending.delete(m.id);
      done?.(m);
    });
    const fail = (why: string) => {
      if (this.worker === w) this.worker = undefined;
      for (const [id, done] of this.pending) done({ type: 'failed', id, message: why });
      this.pending.clear();
    };
    w.on('error', (err) => fail(`the inspect worker crashed: ${err.message}`));
    w.on('exit', (code) => fail(`the inspect worker exited (code ${code})`));
    this.worker = w;
    return w;
  }
}
