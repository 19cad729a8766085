import { buildSuggestion, DEFAULT_SUGGESTION_POLICY, SuggestionPolicy } from '../completion/policy';
import { InferState, pickToken, StepModel } from './stepModel';
import { Rng } from '../rng';
import type { Tokenizer } from '../tokenizers';
import { TokenSpace, tokenSpaceOf } from './tokenSpace';

/** A generated token's new text (what is shown) and the probability the model gave the token. */
export interface Piece {
  piece: string;
  prob: number;
}

/** Below this many new tokens (typing), plain steps: `advance` pays off on a context. */
const ADVANCE_MIN = 8;

/** What a suggestion may show (length, lines, confidence: see SuggestionPolicy), and how it is made. */
export interface CompleteOptions extends SuggestionPolicy {
  /** Characters of text before the cursor that a cold start reads. */
  maxContext: number;
  /** 0: the single greedy completion; above 0: `alternatives` sampled ones. */
  temperature: number;
  alternatives: number;
  seed: number;
}

export const DEFAULT_COMPLETE_OPTIONS: CompleteOptions = {
  ...DEFAULT_SUGGESTION_POLICY,
  maxContext: 512,
  temperature: 0,
  alternatives: 3,
  seed: 1,
};

export interface CompleteResult {
  /** Distinct non-empty completions, best (or first sampled) first. */
  items: string[];
  /** Model steps spent bringing the document's state up to the cursor (0 when nothing changed). */
  syncSteps: number;
}

/**
 * The recurrent state of one document, as a stream of tokens from `anchor` (a document offset).
 * Snapshots every `snapshotEvery` tokens let an edit before the cursor rewind to the last state
 * that the edit cannot have touched, instead of re-reading the whole context.
 */
interface DocStream {
  anchor: number;
  /** The text `ids` spell, when the tokenizer can extend it incrementally (char). */
  text?: string;
  ids: number[];
  state: InferState;
  snapshots: Map<number, InferState>;
}

/**
 * Completion with state kept per document: a typed character costs one model step. Each request
 * carries the text before the cursor; the stream's tokens are diffed against it, so insertions
 * and deletions anywhere before the cursor are handled the same way, by rewinding to a snapshot.
 * Word and BPE models back up over the last (possibly partial) token and let the model continue
 * it, constrained to what was typed ("token healing").
 */
export class Completer {
  private readonly docs = new Map<string, DocStream>();
  private readonly space: TokenSpace;
  private readonly stateBytes: number;
  private readonly logitsBuf: Float32Array;
  private readonly maskBuf: Float32Array;
  private primed?: { text: string; state: InferState };

  constructor(
    readonly model: StepModel,
    readonly tokenizer: Tokenizer,
    private readonly limits = { memoryBytes: 32 * 2 ** 20, snapshotEvery: 32, recent: 16 },
  ) {
    this.space = tokenSpaceOf(tokenizer);
    const { hidden, layers, cell, vocabSize } = model.config;
    this.stateBytes = layers * hidden * 4 * (cell === 'lstm' ? 2 : 1);
    this.logitsBuf = new Float32Array(vocabSize);
    this.maskBuf = new Float32Array(vocabSize);
  }

  /**
   * Brings the document's state up to the end of `text`, which starts at document offset
   * `textStart` and ends at the cursor. Returns the stream's pending tail and the steps spent.
   * `prime` (text of other files) is read before a new stream's first token, so that what they
   * define is known; it does not count as the document's text.
   */
  sync(
    docId: string,
    text: string,
    textStart: number,
    maxContext: number,
    prime = '',
  ): { tail: string; steps: number } {
    const cursor = textStart + text.length;
    let doc = this.docs.get(docId);
    if (!doc || doc.anchor < textStart || doc.anchor > cursor || cursor - doc.anchor > 4 * maxContext) {
      doc = {
        anchor: chooseAnchor(text, textStart, maxContext),
        ids: [],
        state: this.primedState(prime),
        snapshots: new Map(),
      };
      doc.snapshots.set(0, this.model.cloneState(doc.state));
    }
    // Most recently used last, for the LRU below.
    this.docs.delete(docId);
    this.docs.set(docId, doc);
    const window = text.slice(doc.anchor - textStart);
    let ids: number[];
    let tail = '';
    // Typing at the end of a char-model stream: tokenize only what is new, not the whole window.
    if (this.space.perCharacter && doc.text !== undefined && window.startsWith(doc.text)) {
      ids = doc.ids.slice();
      for (const id of this.tokenizer.encode(window.slice(doc.text.length))) ids.push(id);
    } else ({ ids, tail } = this.space.splitTail(window));
    doc.text = this.space.perCharacter ? window : undefined;
    let same = 0;
    const n = Math.min(ids.length, doc.ids.length);
    while (same < n && ids[same] === doc.ids[same]) same++;
    let steps = 0;
    if (same < doc.ids.length) {
      let back = 0;
      for (const k of doc.snapshots.keys()) if (k <= same && k > back) back = k;
      for (const k of doc.snapshots.keys()) if (k > back) doc.snapshots.delete(k);
      doc.state = this.model.cloneState(doc.snapshots.get(back)!);
      doc.ids.length = back;
    }
    // Snapshots: every `snapshotEvery` tokens, plus each of the last `recent` positions, so that
    // backspacing and retyping near the cursor cost nothing.
    const { snapshotEvery: every, recent } = this.limits;
    const wanted = (len: number): boolean => len > ids.length - recent || len % every === 0;
    const from = doc.ids.length;
    if (this.model.advance && ids.length - from >= ADVANCE_MIN) {
      const add = ids.slice(from);
      this.model.advance(
        doc.state,
        add,
        (i) => wanted(from + i + 1),
        (i, st) => doc.snapshots.set(from + i + 1, st),
      );
      for (const id of add) doc.ids.push(id);
      steps += add.length;
    } else
      for (let i = from; i < ids.length; i++) {
        this.model.step(doc.state, ids[i]);
        doc.ids.push(ids[i]);
        steps++;
        if (wanted(doc.ids.length)) doc.snapshots.set(doc.ids.length, this.model.cloneState(doc.state));
      }
    const old = doc.ids.length - recent;
    for (const k of doc.snapshots.keys()) if (k < old && k % every !== 0) doc.snapshots.delete(k);
    this.evict();
    return { tail, steps };
  }

  complete(docId: string, text: string, textStart: number, o: CompleteOptions, prime = ''): CompleteResult {
    const { tail, steps } = this.sync(docId, text, textStart, o.maxContext, prime);
    const doc = this.docs.get(docId)!;
    if (doc.ids.length === 0 && tail === '') return { items: [], syncSteps: steps };
    const runs = o.temperature > 0 ? Math.max(1, o.alternatives) : 1;
    const items: string[] = [];
    for (let a = 0; a < runs; a++) {
      const gen = this.pieces(doc.state, tail, o, new Rng(o.seed + a));
      const s = this.suggestion(gen, text, o);
      if (s && !items.includes(s)) items.push(s);
    }
    return { items, syncSteps: steps };
  }

  /**
   * The greedy continuation's pieces with their probabilities, with no policy applied (as many
   * as a suggestion of `o.maxLength` could use): what `complete` builds its suggestion from, for
   * evaluations that try several policies on the same continuation.
   */
  greedyPieces(docId: string, text: string, textStart: number, o: CompleteOptions, prime = ''): Piece[] {
    const { tail } = this.sync(docId, text, textStart, o.maxContext, prime);
    const doc = this.docs.get(docId)!;
    if (doc.ids.length === 0 && tail === '') return [];
    return [...this.pieces(doc.state, tail, { ...o, temperature: 0 }, new Rng(o.seed))];
  }

  /** The suggestion that `o`'s policy makes of `pieces` after `text` ('' for none). */
  suggestion(pieces: Iterable<Piece>, text: string, o: CompleteOptions): string {
    const out = [...this.space.toText(buildSuggestion(pieces, text, o))].slice(0, o.maxLength).join('');
    return out.trim() === '' ? '' : out;
  }

  /** The state after the document's stream (for tests), or undefined. */
  stateOf(docId: string): { anchor: number; ids: number[]; state: InferState } | undefined {
    return this.docs.get(docId);
  }

  forget(docId: string): void {
    this.docs.delete(docId);
  }

  /** Bytes held in states and snapshots, over all documents. */
  memoryBytes(): number {
    let n = 0;
    for (const d of this.docs.values()) n += (d.snapshots.size + 1) * this.stateBytes;
    return n;
  }

  /** A fresh state, or the state after reading `prime` (the last one is kept: it is per language). */
  private primedState(prime: string): InferState {
    if (!prime) return this.model.newState();
    if (this.primed?.text !== prime) {
      const state = this.model.newState();
      const ids = this.tokenizer.encode(prime);
      if (this.model.advance) this.model.advance(state, ids);
      else for (const id of ids) this.model.step(state, id);
      this.primed = { text: prime, state };
    }
    return this.model.cloneState(this.primed.state);
  }

  private evict(): void {
    let bytes = this.memoryBytes();
    for (const [id, d] of this.docs) {
      if (bytes <= this.limits.memoryBytes || this.docs.size === 1) break;
      bytes -= (d.snapshots.size + 1) * this.stateBytes;
      this.docs.delete(id);
    }
  }

  /**
   * Generates from `from`: each chosen token's new text and its probability (softmax of the
   * logits; under a typed tail, among the tokens that agree with it). Tokens inside the typed
   * tail come as empty pieces. Lazy: the model steps only when the next piece is asked for.
   */
  private *pieces(from: InferState, tail: string, o: CompleteOptions, rng: Rng): Generator<Piece> {
    const { model, space } = this;
    const state = model.cloneState(from);
    const sampling = { temperature: o.temperature, topK: 0, topP: 0 };
    const unk = this.tokenizer.unkId;
    let rest = tail;
    let id = -1;
    for (let n = 0; n < o.maxLength + tail.length + 4; n++) {
      if (id >= 0) model.step(state, id);
      let logits = model.logits(state, this.logitsBuf);
      if (rest) {
        logits = this.maskToTail(logits, rest);
        if (logits.every((v) => v === -Infinity)) return;
      }
      id = pickToken(logits, sampling, rng, unk);
      const s = space.spell(id);
      let piece = s;
      if (rest) {
        piece = s.length >= rest.length ? s.slice(rest.length) : '';
        rest = s.length >= rest.length ? '' : rest.slice(s.length);
      }
      yield { piece, prob: softmaxAt(logits, id) };
    }
  }

  /** Logits with every token that disagrees with the typed tail set to -Infinity. */
  private maskToTail(logits: Float32Array, rest: string): Float32Array {
    const m = this.maskBuf;
    const under = this.space.tokensMayUnderrunTail;
    for (let id = 0; id < logits.length; id++) {
      const s = this.space.spell(id);
      const ok = s.length > 0 && (s.startsWith(rest) || (under && rest.startsWith(s)));
      m[id] = ok ? logits[id] : -Infinity;
    }
    return m;
  }
}

/** softmax(logits)[id], with -Infinity logits (masked tokens) counting as probability 0. */
function softmaxAt(logits: Float32Array, id: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return Math.exp(logits[id] - max) / sum;
}

/**
 * Where a cold stream starts: at most maxContext characters before the cursor, moved forward to
 * the start of a line when there is one in reach, so that the first tokens are whole.
 */
export function chooseAnchor(text: string, textStart: number, maxContext: number): number {
  const from = Math.max(0, text.length - maxContext);
  if (from === 0) return textStart;
  const nl = text.indexOf('\n', from);
  return textStart + (nl >= 0 && nl < text.length - 1 ? nl + 1 : from);
}
