// The completion worker: holds the model and every document's recurrent state, off the extension
// host's main thread. No TF.js here: the fast path needs only the checkpoint's weights.
import { requireTask } from '../engine/tasks/kinds';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MessagePort, parentPort, receiveMessageOnPort } from 'worker_threads';
import { loadCheckpoint } from '../engine/checkpoint';
import { describeError } from '../engine/errors';
import { Completer } from '../engine/inference/completer';
import { FastInferenceModel, simdKernelAvailable } from '../engine/inference/fastModel';
import { InferenceModel } from '../engine/inference/stepModel';
import { tokenizerFromJSON } from '../engine/tokenizers';
import { completionHelperOff } from '../engine/wasm/switches';
import { completionOptions, LoadedModel, NgramState } from './mixtureState';
import { CompletionToHost, HostToCompletion, isHostToCompletion } from './protocol';

type Request = Extract<HostToCompletion, { type: 'complete' }>;

let loaded: (LoadedModel & { dir: string; stamp: string; ngram: NgramState }) | undefined;
const queue: Request[] = [];
const cancelled = new Set<number>();
let scheduled = false;

const post = (m: CompletionToHost) => parentPort!.postMessage(m);

/** The manifest's size and mtime: a checkpoint rewritten or deleted under us is noticed per request. */
function stampOf(dir: string): string | undefined {
  try {
    const st = fs.statSync(path.join(dir, 'manifest.json'));
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

function unload(): void {
  loaded?.ngram.stop();
  loaded?.model.dispose?.();
  loaded = undefined;
}

/**
 * The checkpoint's completer: the model mixed with its run's n-gram once that is built (and
 * `ngram` is on), the model alone until then.
 */
function completerFor(dir: string, ngram: boolean): { completer: Completer; mixture: boolean } {
  const stamp = stampOf(dir);
  if (stamp === undefined) {
    unload();
    throw Object.assign(new Error(`the checkpoint ${dir} no longer exists`), { failure: 'gone' });
  }
  if (loaded?.dir !== dir || loaded.stamp !== stamp) load(dir, stamp);
  return loaded!.ngram.completer(ngram);
}

function load(dir: string, stamp: string): void {
  unload();
  let data;
  try {
    data = loadCheckpoint(dir);
    requireTask(dir, data.manifest, 'lm', 'Completion');
  } catch (err) {
    throw Object.assign(new Error(describeError(err)), { failure: 'corrupt' });
  }
  const { model: config, tokenizer } = data.manifest;
  // Two threads split every product when there are cores for it (bench: see README).
  const threads = os.cpus().length >= 2 && !completionHelperOff() ? 2 : 1;
  const model = simdKernelAvailable()
    ? new FastInferenceModel(config, data.weights, { threads })
    : new InferenceModel(config, data.weights);
  const m: LoadedModel = { dir, model, tokenizer: tokenizerFromJSON(tokenizer), tokenizerJSON: tokenizer };
  loaded = {
    ...m,
    stamp,
    ngram: new NgramState(m, (level, message) => post({ type: 'notice', id: 0, level, message })),
  };
}

function accept(m: unknown): void {
  if (!isHostToCompletion(m)) return;
  if (m.type === 'complete') queue.push(m);
  else if (m.type === 'cancel') cancelled.add(m.id);
  else loaded?.ngram.forget(m.docId);
}

/** Takes every message already sent, so that superseded and cancelled requests are seen. */
function drain(): void {
  for (let m; (m = receiveMessageOnPort(parentPort as MessagePort));) accept(m.message);
}

function run(): void {
  scheduled = false;
  drain();
  // Only the newest request per document matters: the rest were superseded by typing.
  const newest = new Map<string, Request>();
  for (const r of queue.splice(0)) {
    const prev = newest.get(r.docId);
    if (prev) post({ type: 'dropped', id: prev.id });
    newest.set(r.docId, r);
  }
  for (const r of newest.values()) {
    // A cancel may have come while the previous request was computed.
    drain();
    if (cancelled.delete(r.id)) {
      post({ type: 'dropped', id: r.id });
      continue;
    }
    const t0 = performance.now();
    try {
      const { completer, mixture } = completerFor(r.checkpoint, r.ngram ?? true);
      const o = completionOptions(r.options, mixture, r.defaultMinConfidence);
      const { items, syncSteps } = completer.complete(r.docId, r.text, r.textStart, o, r.prime);
      post({ type: 'result', id: r.id, items, syncSteps, ms: performance.now() - t0, mixture });
    } catch (err) {
      const failure = (err as { failure?: 'gone' | 'corrupt' }).failure ?? 'internal';
      post({ type: 'failed', id: r.id, failure, message: describeError(err) });
    }
  }
  // Keep only cancels of requests still waiting (drained while computing); the rest are done.
  const waiting = new Set(queue.map((r) => r.id));
  for (const id of cancelled) if (!waiting.has(id)) cancelled.delete(id);
  // Requests drained while computing have no message event left to schedule them.
  if (queue.length && !scheduled) {
    scheduled = true;
    setImmediate(run);
  }
}

parentPort!.on('message', (m: unknown) => {
  accept(m);
  if (!scheduled && queue.length) {
    scheduled = true;
    setImmediate(run);
  }
});
