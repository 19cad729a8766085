import { greedyCharPieces, suggestFromChars } from './ngramGreedy';
import type { SuggestionPolicy } from './policy';

/** Vocabulary ids fit in 16 bits for every text but one with more than 65,536 distinct characters. */
type Ids = Uint16Array | Int32Array;

/**
 * The tables of a built n-gram model: plain typed arrays, so that a model built in one thread can
 * be handed to another (transferred, not copied) and costs a few bytes per n-gram instead of a JS
 * object per context.
 *
 * Contexts of j characters (level j) have dense ids, sorted by (the context without its oldest
 * character, the oldest character): the contexts that extend level-(j−1) context p by one older
 * character are the ids childStart[j][p] … childStart[j][p+1] − 1, and childChar[j][id] is that
 * older character. Level 0 is the empty context (id 0). The n-grams of order k are stored per
 * context of level k−1: entries entryStart[k][ctx] … entryStart[k][ctx+1] − 1, each a next
 * character (entryChar, ascending) and its count (entryCount).
 */
export interface NgramTables {
  vocab: string[];
  order: number;
  discount: number;
  /** Index j = 1 … order−1 (index 0 unused). */
  childStart: Int32Array[];
  childChar: Ids[];
  /** Index k = 1 … order (index 0 unused). */
  entryStart: Int32Array[];
  entryChar: Ids[];
  entryCount: Int32Array[];
}

/**
 * A character n-gram model with interpolated Kneser–Ney smoothing: the baseline that SeqLab's
 * completion is measured against, and the n-gram half of the completion mixture. The formulas,
 * and the counts they read, are those of `ReferenceCharNgramModel` (ngramReference.ts), which
 * the tests hold this one to; this one keeps the counts in sorted typed arrays, builds them with
 * counting sorts instead of string Maps, and answers a distribution in O(vocabulary + entries)
 * instead of O(vocabulary × order).
 *
 * P_k(c | h) = max(N_k(h c) − D, 0) / N_k(h) + D · T_k(h) / N_k(h) · P_{k−1}(c | h')
 * where h' is h without its first character, N_k are raw counts at the highest order and
 * continuation counts (distinct characters seen before h c) below it, T_k(h) is the number of
 * distinct characters seen after h, and P_0 is uniform over the vocabulary. A context never seen
 * falls through to the next lower order.
 */
export class CharNgramModel {
  readonly vocab: string[];
  readonly order: number;
  readonly discount: number;
  private readonly t: NgramTables;
  /** Vocabulary id of each BMP code unit (−1: none); astral code points go through `astral`. */
  private readonly bmp = new Int32Array(0x10000).fill(-1);
  private readonly astral = new Map<number, number>();
  /** Scratch: the context ids of the current query, by level. */
  private readonly ctxs: Int32Array;
  private readonly chars: Int32Array;

  /** Builds from `text`, or adopts tables built elsewhere (`toTables`; `order` and `discount` are theirs). */
  constructor(source: string | NgramTables, order = 6, discount = 0.75) {
    if (typeof source === 'string') {
      if (order < 1) throw new Error(`n-gram order must be at least 1, got ${order}`);
      source = buildTables(source, order, discount);
    }
    this.t = source;
    this.vocab = source.vocab;
    this.order = source.order;
    this.discount = source.discount;
    this.vocab.forEach((c, i) => {
      const cp = c.codePointAt(0)!;
      if (cp < 0x10000) this.bmp[cp] = i;
      else this.astral.set(cp, i);
    });
    this.ctxs = new Int32Array(this.order);
    this.chars = new Int32Array(this.order);
  }

  /** The tables, to rebuild the model elsewhere with `new CharNgramModel(tables)`; `buffers` lists what to transfer. */
  toTables(): { tables: NgramTables; buffers: ArrayBuffer[] } {
    const t = this.t;
    const arrays = [...t.childStart, ...t.childChar, ...t.entryStart, ...t.entryChar, ...t.entryCount];
    return { tables: t, buffers: arrays.filter(Boolean).map((a) => a.buffer as ArrayBuffer) };
  }

  /** Bytes held by the tables (the typed arrays; the vocabulary and the id lookup aside). */
  bytes(): number {
    const t = this.t;
    let n = 0;
    for (const a of [...t.childStart, ...t.childChar, ...t.entryStart, ...t.entryChar, ...t.entryCount])
      if (a) n += a.byteLength;
    return n;
  }

  /**
   * The next character's probabilities over `vocab`, given the text before it. With `evidence`,
   * also what contextStats(before) gives, from the same walk (the mixture needs both per character).
   */
  distribution(
    before: string,
    out = new Float64Array(this.vocab.length),
    evidence?: { order: number; total: number; distinct: number },
  ): Float64Array {
    const { entryStart, entryChar, entryCount } = this.t;
    const D = this.discount;
    const seen = this.walk(before);
    out.fill(0);
    if (evidence) evidence.order = evidence.total = evidence.distinct = 0;
    // From the longest context seen down: each order's discounted counts, scaled by the back-off
    // weights of the orders above it; what is left over goes to the uniform distribution.
    let scale = 1;
    for (let k = seen; k >= 1; k--) {
      const ctx = this.ctxs[k - 1];
      const from = entryStart[k][ctx];
      const to = entryStart[k][ctx + 1];
      if (from === to) continue;
      const counts = entryCount[k];
      const chars = entryChar[k];
      let total = 0;
      for (let e = from; e < to; e++) total += counts[e];
      if (evidence && evidence.order === 0) Object.assign(evidence, { order: k, total, distinct: to - from });
      for (let e = from; e < to; e++) out[chars[e]] += (scale * Math.max(counts[e] - D, 0)) / total;
      scale *= (D * (to - from)) / total;
    }
    const rest = scale / out.length;
    for (let i = 0; i < out.length; i++) out[i] += rest;
    return out;
  }

  /**
   * The n-gram's evidence for the context of the next character after `before`: the highest
   * order k (1..n) whose (k−1)-character context occurs in the table, that context's total count
   * and its number of distinct next characters (raw counts at the top order, the smoothing's
   * continuation counts below it, as `distribution` uses them). Order 0 when the model has no
   * text at all. A long context seen often with few different followers is verbatim text the
   * n-gram knows; a short one is where it guesses.
   */
  contextStats(before: string): { order: number; total: number; distinct: number } {
    const { entryStart, entryCount } = this.t;
    for (let k = this.walk(before); k >= 1; k--) {
      const ctx = this.ctxs[k - 1];
      const from = entryStart[k][ctx];
      const to = entryStart[k][ctx + 1];
      if (from === to) continue;
      let total = 0;
      for (let e = from; e < to; e++) total += entryCount[k][e];
      return { order: k, total, distinct: to - from };
    }
    return { order: 0, total: 0, distinct: 0 };
  }

  /** P(c | before); 0 for a character outside the vocabulary. */
  probability(before: string, c: string): number {
    const i = c.length > 0 && [...c].length === 1 ? this.idOf(c.codePointAt(0)!) : -1;
    return i < 0 ? 0 : this.distribution(before)[i];
  }

  /** The greedy continuation of `before`, `count` characters, each with its probability. */
  greedyPieces(before: string, count: number): { piece: string; prob: number }[] {
    return greedyCharPieces(this, before, count);
  }

  /** The greedy continuation of `before`, shaped by the same policy as the model's suggestions. */
  suggest(before: string, policy: SuggestionPolicy): string {
    return suggestFromChars(this, before, policy);
  }

  private idOf(cp: number): number {
    return cp < 0x10000 ? this.bmp[cp] : (this.astral.get(cp) ?? -1);
  }

  /**
   * Finds the contexts of `before` at each level (ctxs[j]: the last j characters), reading code
   * points back from its end, and returns how many orders have one: the longest context seen
   * has order − 1 = the returned value − 1 characters. A character outside the vocabulary ends
   * the walk (no context contains it), as does the start of the text.
   */
  private walk(before: string): number {
    const { childStart, childChar } = this.t;
    let n = 0;
    for (let i = before.length; i > 0 && n < this.order - 1; n++) {
      let cp = before.charCodeAt(--i);
      if (cp >= 0xdc00 && cp < 0xe000 && i > 0) {
        const hi = before.charCodeAt(i - 1);
        if (hi >= 0xd800 && hi < 0xdc00) cp = ((hi - 0xd800) << 10) + (cp - 0xdc00) + 0x10000;
        if (cp >= 0x10000) i--;
      }
      this.chars[n] = this.idOf(cp);
    }
    let ctx = 0;
    this.ctxs[0] = 0;
    let j = 1;
    for (; j <= n; j++) {
      const c = this.chars[j - 1];
      if (c < 0) break;
      // The children of `ctx` are sorted by their older character: binary search.
      const chars = childChar[j];
      let lo = childStart[j][ctx];
      let hi = childStart[j][ctx + 1] - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const v = chars[mid];
        if (v === c) {
          found = mid;
          break;
        }
        if (v < c) lo = mid + 1;
        else hi = mid - 1;
      }
      if (found < 0) break;
      this.ctxs[j] = ctx = found;
    }
    return j;
  }
}

/** The text's code points as vocabulary ids, and the vocabulary (sorted as JS sorts strings). */
function encode(text: string): { ids: Int32Array; vocab: string[] } {
  const cps = new Int32Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo < 0xe000) {
        cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
        i++;
      }
    }
    cps[n++] = cp;
  }
  const seen = new Uint8Array(0x110000);
  for (let i = 0; i < n; i++) seen[cps[i]] = 1;
  const vocab: string[] = [];
  for (let cp = 0; cp < seen.length; cp++) if (seen[cp]) vocab.push(String.fromCodePoint(cp));
  // The reference sorts its vocabulary as strings (UTF-16 code units, not code points).
  vocab.sort();
  const id = new Int32Array(0x110000);
  vocab.forEach((c, i) => (id[c.codePointAt(0)!] = i));
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = id[cps[i]];
  return { ids, vocab };
}

const idArray = (n: number, vocabSize: number): Ids =>
  vocabSize <= 0x10000 ? new Uint16Array(n) : new Int32Array(n);

/** Work arrays of the build, allocated once for the longest key list (the text's positions). */
interface Scratch {
  byMinor: Int32Array;
  majorByMinor: Int32Array;
  minorByMinor: Int32Array;
  /** Key indices in (major, minor) order, and their major and minor values in that order. */
  order: Int32Array;
  major: Int32Array;
  minor: Int32Array;
}

const scratchOf = (m: number): Scratch => ({
  byMinor: new Int32Array(m),
  majorByMinor: new Int32Array(m),
  minorByMinor: new Int32Array(m),
  order: new Int32Array(m),
  major: new Int32Array(m),
  minor: new Int32Array(m),
});

/**
 * Sorts the m keys (major[p], minor[p]), both small non-negative integers below `majorSize` and
 * `minorSize`, into `w.order` (with their values in `w.major`, `w.minor`): two stable counting
 * sorts, least significant key first. Each pass carries the keys along, so that the passes after
 * read them in order instead of looking them up at random.
 */
function sortPairs(
  major: Int32Array,
  majorSize: number,
  minor: ArrayLike<number>,
  minorSize: number,
  m: number,
  w: Scratch,
): void {
  const start = new Int32Array(Math.max(majorSize, minorSize) + 1);
  for (let p = 0; p < m; p++) start[minor[p] + 1]++;
  for (let v = 0; v < minorSize; v++) start[v + 1] += start[v];
  for (let p = 0; p < m; p++) {
    const at = start[minor[p]]++;
    w.byMinor[at] = p;
    w.majorByMinor[at] = major[p];
    w.minorByMinor[at] = minor[p];
  }
  start.fill(0);
  for (let p = 0; p < m; p++) start[major[p] + 1]++;
  for (let v = 0; v < majorSize; v++) start[v + 1] += start[v];
  for (let i = 0; i < m; i++) {
    const a = w.majorByMinor[i];
    const at = start[a]++;
    w.order[at] = w.byMinor[i];
    w.major[at] = a;
    w.minor[at] = w.minorByMinor[i];
  }
}

/**
 * Distinct (major, minor) pairs of the m keys, grouped per major value in CSR form: `start`
 * (majorSize + 1 offsets), the minor value of each distinct pair (ascending within a major value),
 * how many keys had it, and for each key the index of its pair (`pairOf`, when asked for).
 */
function groupPairs(
  major: Int32Array,
  majorSize: number,
  minor: ArrayLike<number>,
  minorSize: number,
  m: number,
  w: Scratch,
  wantPairOf: boolean,
): { start: Int32Array; value: Ids; count: Int32Array; pairOf?: Int32Array } {
  sortPairs(major, majorSize, minor, minorSize, m, w);
  const { order, major: a, minor: b } = w;
  let distinct = 0;
  for (let i = 0; i < m; i++) if (i === 0 || a[i] !== a[i - 1] || b[i] !== b[i - 1]) distinct++;
  const start = new Int32Array(majorSize + 1);
  const value = idArray(distinct, minorSize);
  const count = new Int32Array(distinct);
  const pairOf = wantPairOf ? new Int32Array(m) : undefined;
  let d = -1;
  for (let i = 0; i < m; i++) {
    if (i === 0 || a[i] !== a[i - 1] || b[i] !== b[i - 1]) {
      d++;
      value[d] = b[i];
      start[a[i] + 1]++;
    }
    count[d]++;
    if (pairOf) pairOf[order[i]] = d;
  }
  for (let v = 0; v < majorSize; v++) start[v + 1] += start[v];
  return { start, value, count, pairOf };
}

/**
 * The tables of `text`'s n-grams. The counts are exactly the reference's: the highest order
 * counts each (order−1)-character context and its next character at every position from
 * order − 1 on; each lower order counts, per shorter context and next character, the distinct
 * characters seen before them in the order above. So the contexts of every level are the
 * substrings that end at positions order − 2 … n − 2, and each level is built from the one below
 * by adding the older character.
 */
function buildTables(text: string, order: number, discount: number): NgramTables {
  const { ids, vocab } = encode(text);
  const V = vocab.length;
  const n = ids.length;
  // Positions p = 0 … m−1 stand for context ends e = p + order − 2.
  const m = Math.max(0, n - order + 1);
  const childStart: Int32Array[] = [new Int32Array(0)];
  const childChar: Ids[] = [new Uint16Array(0)];
  /** The parent (context without its oldest character) of each context, per level. */
  const parents: Int32Array[] = [new Int32Array(1)];
  let ctx: Int32Array = new Int32Array(m);
  let contexts = 1;
  const minor = new Int32Array(m);
  const w = scratchOf(m);
  for (let j = 1; j < order; j++) {
    // The context of j characters ending at e adds ids[e − j + 1] before the one of j − 1.
    for (let p = 0; p < m; p++) minor[p] = ids[p + order - 1 - j];
    const g = groupPairs(ctx, contexts, minor, V, m, w, true);
    childStart.push(g.start);
    childChar.push(g.value);
    const parent = new Int32Array(g.value.length);
    for (let prev = 0; prev < contexts; prev++)
      for (let c = g.start[prev]; c < g.start[prev + 1]; c++) parent[c] = prev;
    parents.push(parent);
    ctx = g.pairOf!;
    contexts = g.value.length;
  }
  const entryStart: Int32Array[] = new Array<Int32Array>(order + 1);
  const entryChar: Ids[] = new Array<Ids>(order + 1);
  const entryCount: Int32Array[] = new Array<Int32Array>(order + 1);
  entryStart[0] = new Int32Array(0);
  entryChar[0] = new Uint16Array(0);
  entryCount[0] = new Int32Array(0);
  // Highest order: raw counts of (context, next character).
  for (let p = 0; p < m; p++) minor[p] = ids[p + order - 1];
  let top = groupPairs(ctx, contexts, minor, V, m, w, false);
  entryStart[order] = top.start;
  entryChar[order] = top.value;
  entryCount[order] = top.count;
  // Lower orders: each distinct (context, character) above counts once for (its parent, character).
  for (let k = order - 1; k >= 1; k--) {
    const above = entryStart[k + 1];
    const E = top.value.length;
    const parentOf = new Int32Array(E);
    const parent = parents[k];
    for (let h = 0; h + 1 < above.length; h++)
      for (let e = above[h]; e < above[h + 1]; e++) parentOf[e] = parent[h];
    top = groupPairs(parentOf, parents[k - 1].length, top.value, V, E, w, false);
    entryStart[k] = top.start;
    entryChar[k] = top.value;
    entryCount[k] = top.count;
  }
  return { vocab, order, discount, childStart, childChar, entryStart, entryChar, entryCount };
}
