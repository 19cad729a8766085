// The inspect worker: runs the model over documents and keeps each one's trace, off the
// extension host's main thread. The trace itself runs on the completion kernel (no TF.js);
// gate saturation and saliency use TF.js, loaded on first use.
import { requireTask } from '../engine/tasks/kinds';
import * as fs from 'fs';
import * as path from 'path';
import { MessagePort, parentPort, receiveMessageOnPort } from 'worker_threads';
import { loadCheckpoint } from '../engine/checkpoint';
import { describeError } from '../engine/errors';
import type { StepModel } from '../engine/inference/stepModel';
import { parseUnit, unitSeries } from '../engine/inspect/correlate';
import { parseFeatureRegex } from '../engine/inspect/features';
import { gateSaturation } from '../engine/inspect/gates';
import { inspectText, type TextInspection } from '../engine/inspect/inspectText';
import { inspectionModel } from '../engine/inspect/report';
import { saliency } from '../engine/inspect/saliency';
import { tokenAt } from '../engine/inspect/spans';
import { unitsView } from '../engine/inspect/summary';
import { commonPrefix, meanSurprisalBits, TOP_K } from '../engine/inspect/trace';
import type { Weights } from '../engine/model/shapes';
import { tokenizerFromJSON, type Tokenizer } from '../engine/tokenizers';
import { initBackend } from '../engine/wasm/backend';
import { HostToInspect, InspectToHost, isHostToInspect } from './protocol';

interface Loaded {
  dir: string;
  stamp: string;
  model: StepModel;
  tok: Tokenizer;
  weights: Weights;
}

let loaded: Loaded | undefined;
const docs = new Map<string, { checkpoint: string; stamp: string; ins: TextInspection }>();
const queue: HostToInspect[] = [];
let running = false;
let backend: Promise<unknown> | undefined;

const post = (m: InspectToHost) => parentPort!.postMessage(m);

function stampOf(dir: string): string {
  try {
    const st = fs.statSync(path.join(dir, 'manifest.json'));
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return '';
  }
}

function modelFor(dir: string): Loaded {
  const stamp = stampOf(dir);
  if (loaded?.dir === dir && loaded.stamp === stamp) return loaded;
  loaded?.model.dispose?.();
  loaded = undefined;
  const data = loadCheckpoint(dir);
  requireTask(dir, data.manifest, 'lm', 'Inspecting a model over text');
  const { model: config, tokenizer } = data.manifest;
  loaded = {
    dir,
    stamp,
    model: inspectionModel(config, data.weights),
    tok: tokenizerFromJSON(tokenizer),
    weights: data.weights,
  };
  return loaded;
}

function docOf(docId: string): { ins: TextInspection; m: Loaded } {
  const d = docs.get(docId);
  if (!d)
    throw new Error('this document has not been inspected yet: run "SeqLab: Inspect Model on This File"');
  return { ins: d.ins, m: modelFor(d.checkpoint) };
}

async function handle(m: HostToInspect): Promise<void> {
  if (m.type === 'forget') {
    docs.delete(m.docId);
    return;
  }
  const t0 = performance.now();
  switch (m.type) {
    case 'inspect': {
      const mod = modelFor(m.checkpoint);
      const prev = docs.get(m.docId);
      // A trace of the same document with the same weights: only the tokens from the edit on change.
      const previous =
        prev && prev.checkpoint === m.checkpoint && prev.stamp === mod.stamp ? prev.ins : undefined;
      const regex = m.regex ? parseFeatureRegex(m.regex, "the Units view's pattern") : undefined;
      // The new trace takes over the previous one's buffers (see traceTokens): from here on the
      // document has no inspection until the new one is in, so nothing reads the old one again.
      if (previous) docs.delete(m.docId);
      const before = previous?.trace.tokens;
      const ins = inspectText(mod.model, mod.tok, m.text, { previous, takeOver: true, regex });
      docs.set(m.docId, { checkpoint: m.checkpoint, stamp: mod.stamp, ins });
      const kept = before ? commonPrefix(before, ins.trace.tokens) : 0;
      const { ranking, units } = unitsView(ins);
      post({
        type: 'inspected',
        id: m.id,
        docId: m.docId,
        starts: ins.spans.starts,
        ends: ins.spans.ends,
        surprisal: ins.trace.surprisal,
        meanBits: meanSurprisalBits(ins.trace),
        recomputed: ins.trace.tokens.length - kept,
        ranking,
        units,
        ms: performance.now() - t0,
      });
      return;
    }
    case 'unit': {
      const { ins } = docOf(m.docId);
      const u = parseUnit(m.unit, ins.trace);
      if (!u) throw new Error(`no unit ${m.unit} in this model`);
      post({ type: 'unitValues', id: m.id, unit: m.unit, values: unitSeries(ins.trace, u) });
      return;
    }
    case 'hover': {
      const { ins, m: mod } = docOf(m.docId);
      const t = tokenAt(ins.spans, m.offset);
      if (t < 0 || m.offset >= ins.spans.ends[t]) {
        post({ type: 'hoverInfo', id: m.id, start: -1, end: -1, bits: NaN, top: [] });
        return;
      }
      const top: { text: string; p: number }[] = [];
      for (let k = 0; k < TOP_K; k++) {
        const id = ins.trace.topIds[t * TOP_K + k];
        if (id >= 0) top.push({ text: mod.tok.tokenText(id), p: ins.trace.topProbs[t * TOP_K + k] });
      }
      post({
        type: 'hoverInfo',
        id: m.id,
        start: ins.spans.starts[t],
        end: ins.spans.ends[t],
        bits: ins.trace.surprisal[t],
        top,
      });
      return;
    }
    case 'saliency': {
      const { ins, m: mod } = docOf(m.docId);
      await (backend ??= initBackend('wasm'));
      const s = saliency(ins.trace, mod.weights, tokenAt(ins.spans, m.offset));
      post({ type: 'saliencyInfo', id: m.id, target: s.target, from: s.from, norms: s.norms });
      return;
    }
    case 'gates': {
      const { ins, m: mod } = docOf(m.docId);
      await (backend ??= initBackend('wasm'));
      post({ type: 'gateInfo', id: m.id, saturation: gateSaturation(ins.trace, mod.weights) });
      return;
    }
  }
}

function accept(m: unknown): void {
  if (isHostToInspect(m)) queue.push(m);
}

async function run(): Promise<void> {
  if (running) return;
  running = true;
  try {
    while (queue.length) {
      for (let m; (m = receiveMessageOnPort(parentPort as MessagePort));) accept(m.message);
      const m = queue.shift()!;
      // Typing sends a new inspection per pause: only the newest per document is worth running.
      if (m.type === 'inspect' && queue.some((q) => q.type === 'inspect' && q.docId === m.docId)) {
        post({ type: 'dropped', id: m.id });
        continue;
      }
      try {
        await handle(m);
      } catch (err) {
        if (m.type !== 'forget') post({ type: 'failed', id: m.id, message: describeError(err) });
      }
    }
  } finally {
    running = false;
  }
}

parentPort!.on('message', (m: unknown) => {
  accept(m);
  void run();
});
