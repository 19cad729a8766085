import type { ModelConfig } from '../config';
import type { InferState, StepModel, TraceBlock } from '../inference/stepModel';

/** How many of the model's most likely tokens each position keeps (the hover's list). */
export const TOP_K = 5;

const LOG2E = Math.LOG2E;

/**
 * What the model did at each token of a text. Position t is token t: the state after reading it,
 * and the model's prediction *for* it (made after token t-1; after the zero state for t = 0).
 */
export interface ModelTrace {
  readonly config: ModelConfig;
  readonly tokens: Int32Array;
  /** Per layer, [n × hidden]: h after token t. */
  readonly hidden: Float32Array[];
  /** Per layer, [n × hidden]: the LSTM cell c after token t (empty for GRU and RNN). */
  readonly cell: Float32Array[];
  /** Bits the model needed for token t: −log₂ p(token t | tokens before it). */
  readonly surprisal: Float32Array;
  /** [n × TOP_K]: the tokens the model found most likely at position t, and their probabilities. */
  readonly topIds: Int32Array;
  readonly topProbs: Float32Array;
}

/**
 * Mean surprisal in bits per token over positions 1…n−1: the tokens predicted from context, the
 * same positions `seqlab eval` averages its loss over (its loss in nats is this times ln 2).
 */
export function meanSurprisalBits(trace: ModelTrace): number {
  const n = trace.tokens.length;
  let sum = 0;
  for (let t = 1; t < n; t++) sum += trace.surprisal[t];
  return n > 1 ? sum / (n - 1) : NaN;
}

/** The recurrent state after token t, as views into the trace (t = −1: the zero state). */
export function stateAfter(trace: ModelTrace, t: number): InferState {
  const H = trace.config.hidden;
  const lstm = trace.config.cell === 'lstm';
  const view = (a: Float32Array) => (t < 0 ? new Float32Array(H) : a.subarray(t * H, (t + 1) * H));
  return {
    h: trace.hidden.map(view),
    c: trace.hidden.map((_, l) => (lstm ? view(trace.cell[l]) : new Float32Array(H))),
  };
}

/** Number of leading tokens two token sequences share. */
export function commonPrefix(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/**
 * Runs `model` over `tokens` from the zero state and records its trace. With `previous` (a trace
 * of an earlier version of the same text), the positions before the first changed token are
 * taken from it rather than recomputed: an edit costs the tokens from the edit to the end, which
 * is how the editor's decorations keep up with typing.
 *
 * `takeOver: true` gives `previous` to this call, for a caller that drops it (the editor keeps one
 * trace per document): the new trace records its states in previous's buffers, where the kept
 * positions already are, instead of new ones. That saves copying them, and above all the first
 * touch of ~4 KB per token of fresh memory, which costs more than the copy. Afterwards
 * `previous.hidden` and `previous.cell` are empty (reading them fails loudly rather than finding
 * the new trace's states); its tokens and predictions stay as they were.
 */
export function traceTokens(
  model: StepModel,
  tokens: Int32Array,
  previous?: ModelTrace,
  opts: { takeOver?: boolean } = {},
): ModelTrace {
  const { hidden: H, layers: L, cell } = model.config;
  const n = tokens.length;
  // A previous trace whose states another trace took over has none to start from.
  const usable = previous && previous.hidden.length === L ? previous : undefined;
  const keep = usable ? commonPrefix(usable.tokens, tokens) : 0;
  const from = opts.takeOver ? usable : undefined;
  const trace: ModelTrace = {
    config: model.config,
    tokens: tokens.slice(),
    hidden: stateBuffers(L, n, H, previous?.hidden, keep, from !== undefined),
    cell: cell === 'lstm' ? stateBuffers(L, n, H, previous?.cell, keep, from !== undefined) : [],
    surprisal: new Float32Array(n),
    topIds: new Int32Array(n * TOP_K),
    topProbs: new Float32Array(n * TOP_K),
  };
  if (from) {
    from.hidden.length = 0;
    from.cell.length = 0;
  }
  if (previous && keep > 0) {
    trace.surprisal.set(previous.surprisal.subarray(0, keep));
    trace.topIds.set(previous.topIds.subarray(0, keep * TOP_K));
    trace.topProbs.set(previous.topProbs.subarray(0, keep * TOP_K));
  }
  // The state to continue from is the trace's own record of it: no separate cache to keep in step.
  const start = model.cloneState(stateAfter(trace, keep - 1));
  const rest = tokens.subarray(keep);
  if (model.trace) model.trace(start, rest, (b) => recordBlock(trace, keep, b));
  else referenceRun(model, trace, keep, start, rest);
  return trace;
}

/**
 * Per layer, the [n × H] states of a trace whose first `keep` positions are those of `old`:
 * old's own buffers when `reuse` allows and they are big enough, else new ones (with room for
 * the text to grow: room that is never written costs address space only) with the prefix copied.
 */
function stateBuffers(
  layers: number,
  n: number,
  H: number,
  old: Float32Array[] | undefined,
  keep: number,
  reuse: boolean,
): Float32Array[] {
  return Array.from({ length: layers }, (_, l) => {
    const o = old?.[l];
    if (reuse && o && o.byteOffset === 0 && o.buffer.byteLength >= n * H * 4)
      return new Float32Array(o.buffer, 0, n * H);
    const a = new Float32Array((n + (n >> 3) + 256) * H).subarray(0, n * H);
    if (o && keep > 0) a.set(o.subarray(0, keep * H));
    return a;
  });
}

/** Copies one block of a model's `trace` into the trace, `keep` positions on. */
function recordBlock(trace: ModelTrace, keep: number, b: TraceBlock): void {
  const { hidden: H, vocabSize: V } = trace.config;
  const at = keep + b.from;
  const rows = (dst: Float32Array, src: Float32Array) => {
    if (b.stride === H) dst.set(src, at * H);
    else
      for (let t = 0; t < b.count; t++) dst.set(src.subarray(t * b.stride, t * b.stride + H), (at + t) * H);
  };
  b.h.forEach((h, l) => rows(trace.hidden[l], h));
  trace.cell.forEach((c, l) => rows(c, b.c[l]));
  for (let t = 0; t < b.count; t++) predictionAt(trace, at + t, b.logits, t * b.logitStride, V);
}

/** The step-by-step run, for models without `trace` (the plain-JS reference). */
function referenceRun(
  model: StepModel,
  trace: ModelTrace,
  keep: number,
  start: InferState,
  rest: Int32Array,
): void {
  const { hidden: H, layers: L, vocabSize: V } = model.config;
  const lstm = trace.cell.length > 0;
  const n = trace.tokens.length;
  const record = (t: number, s: InferState) => {
    for (let l = 0; l < L; l++) {
      trace.hidden[l].set(s.h[l], t * H);
      if (lstm) trace.cell[l].set(s.c[l], t * H);
    }
  };
  for (let i = 0; i < rest.length; i++) {
    model.step(start, rest[i]);
    record(keep + i, start);
  }
  const logits = new Float32Array(V);
  for (let t = keep; t < n; t++) {
    model.logits(stateAfter(trace, t - 1), logits);
    predictionAt(trace, t, logits, 0, V);
  }
}

/** Fills position t's surprisal and top-K from the logits that predicted it: logits[off…off+V). */
function predictionAt(trace: ModelTrace, t: number, logits: Float32Array, off: number, V: number): void {
  let max = -Infinity;
  for (let v = off; v < off + V; v++) if (logits[v] > max) max = logits[v];
  let sum = 0;
  for (let v = off; v < off + V; v++) sum += Math.exp(logits[v] - max);
  const logZ = max + Math.log(sum);
  trace.surprisal[t] = (logZ - logits[off + trace.tokens[t]]) * LOG2E;
  // Top-K by insertion into a short sorted list: K is 5, the vocabulary up to thousands.
  const ids = trace.topIds.subarray(t * TOP_K, (t + 1) * TOP_K).fill(-1);
  const best = new Float64Array(TOP_K).fill(-Infinity);
  for (let v = 0; v < V; v++) {
    const x = logits[off + v];
    if (x <= best[TOP_K - 1]) continue;
    let k = TOP_K - 1;
    while (k > 0 && best[k - 1] < x) {
      best[k] = best[k - 1];
      ids[k] = ids[k - 1];
      k--;
    }
    best[k] = x;
    ids[k] = v;
  }
  for (let k = 0; k < TOP_K; k++) trace.topProbs[t * TOP_K + k] = ids[k] < 0 ? 0 : Math.exp(best[k] - logZ);
}
