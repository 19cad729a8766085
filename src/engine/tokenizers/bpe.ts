import { Tokenizer, TokenizerJSON } from './types';

/**
 * GPT-2-style pre-split: merges never cross these boundaries, which keeps training tractable and
 * tokens meaningful (a word with its leading space, a number, a punctuation run, whitespace).
 */
const CHUNK = / ?[\p{L}\p{M}]+| ?\p{N}+| ?[^\s\p{L}\p{M}\p{N}]+|\s+(?!\S)|\s+/gu;

function utf8(s: string, out: number[]): void {
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
}

const pairKey = (a: number, b: number): number => a * 65536 + b;

/** Byte-level BPE: ids 0..255 are bytes, id 256+r is merge r. Every input is representable. */
export class BpeTokenizer implements Tokenizer {
  readonly kind = 'bpe' as const;
  readonly unkId = -1;
  private readonly ranks = new Map<number, number>();
  private readonly bytes: Uint8Array[] = [];
  private readonly cache = new Map<string, number[]>();
  private readonly decoder = new TextDecoder('utf-8');

  constructor(readonly merges: [number, number][]) {
    for (let b = 0; b < 256; b++) this.bytes.push(Uint8Array.of(b));
    merges.forEach(([a, b], r) => {
      this.ranks.set(pairKey(a, b), r);
      const x = this.bytes[a];
      const y = this.bytes[b];
      const m = new Uint8Array(x.length + y.length);
      m.set(x);
      m.set(y, x.length);
      this.bytes.push(m);
    });
  }

  get vocabSize(): number {
    return 256 + this.merges.length;
  }

  static chunks(text: string): string[] {
    return text.match(CHUNK) ?? [];
  }

  /** Learns `vocabSize - 256` merges, most frequent pair first (ties: lowest pair, for stability). */
  static train(texts: Iterable<string>, vocabSize = 1024): BpeTokenizer {
    if (vocabSize < 256 || vocabSize > 65536) throw new Error('bpe vocab size must be between 256 and 65536');
    const chunkCounts = new Map<string, number>();
    for (const text of texts)
      for (const c of BpeTokenizer.chunks(text)) chunkCounts.set(c, (chunkCounts.get(c) ?? 0) + 1);
    const words: number[][] = [];
    const freq: number[] = [];
    for (const [c, n] of chunkCounts) {
      const b: number[] = [];
      utf8(c, b);
      words.push(b);
      freq.push(n);
    }
    const counts = new Map<number, number>();
    const where = new Map<number, Set<number>>();
    const addWord = (w: number, sign: number): void => {
      const s = words[w];
      for (let i = 0; i + 1 < s.length; i++) {
        const k = pairKey(s[i], s[i + 1]);
        counts.set(k, (counts.get(k) ?? 0) + sign * freq[w]);
        if (sign > 0) {
          let set = where.get(k);
          if (!set) where.set(k, (set = new Set()));
          set.add(w);
        }
      }
    };
    for (let w = 0; w < words.length; w++) addWord(w, 1);
    const heap = new PairHeap();
    for (const [k, n] of counts) heap.push(n, k);

    const merges: [number, number][] = [];
    while (merges.length < vocabSize - 256) {
      let top: [number, number] | undefined;
      while ((top = heap.pop())) if (counts.get(top[1]) === top[0]) break;
      if (!top || top[0] < 2) break;
      const key = top[1];
      const a = Math.floor(key / 65536);
      const b = key % 65536;
      const id = 256 + merges.length;
      merges.push([a, b]);
      const touched = new Set<number>();
      for (const w of where.get(key) ?? []) {
        const s = words[w];
        let has = false;
        for (let i = 0; i + 1 < s.length; i++) if (s[i] === a && s[i + 1] === b) has = true;
        if (!has) continue;
        addWord(w, -1);
        const merged: number[] = [];
        for (let i = 0; i < s.length; i++) {
          if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
            merged.push(id);
            i++;
          } else merged.push(s[i]);
        }
        words[w] = merged;
        addWord(w, 1);
        for (let i = 0; i + 1 < merged.length; i++) touched.add(pairKey(merged[i], merged[i + 1]));
      }
      where.delete(key);
      counts.delete(key);
      for (const k of touched) heap.push(counts.get(k) ?? 0, k);
    }
    return new BpeTokenizer(merges);
  }

  private encodeChunk(chunk: string): number[] {
    const hit = this.cache.get(chunk);
    if (hit) return hit;
    const s: number[] = [];
    utf8(chunk, s);
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < s.length; i++) {
        const r = this.ranks.get(pairKey(s[i], s[i + 1]));
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const [a, b] = this.merges[bestRank];
      const id = 256 + bestRank;
      for (let i = 0; i + 1 < s.length; i++) if (s[i] === a && s[i + 1] === b) s.splice(i, 2, id);
    }
    if (this.cache.size < 200_000) this.cache.set(chunk, s);
    return s;
  }

  encode(text: string): Int32Array {
    const out: number[] = [];
    for (const c of BpeTokenizer.chunks(text)) for (const id of this.encodeChunk(c)) out.push(id);
    return Int32Array.from(out);
  }

  encodeCounting(text: string): { ids: Int32Array; unknown: number } {
    return { ids: this.encode(text), unknown: 0 };
  }

  bytesOf(id: number): Uint8Array {
    return this.bytes[id] ?? new Uint8Array(0);
  }

  decode(ids: ArrayLike<number>): string {
    let n = 0;
    for (let i = 0; i < ids.length; i++) n += this.bytesOf(ids[i]).length;
    const buf = new Uint8Array(n);
    let o = 0;
    for (let i = 0; i < ids.length; i++) {
      const b = this.bytesOf(ids[i]);
      buf.set(b, o);
      o += b.length;
    }
    return this.decoder.decode(buf);
  }

  tokenText(id: number): string {
    return this.decoder.decode(this.bytesOf(id));
  }

  toJSON(): TokenizerJSON {
    return { kind: 'bpe', merges: this.merges };
  }
}

/** Max-heap of (count, pair) with ties broken by the smaller pair key; stale entries are skipped by the caller. */
class PairHeap {
  private c: number[] = [];
  private k: number[] = [];

  private above(i: number, j: number): boolean {
    return this.c[i] > this.c[j] || (this.c[i] === this.c[j] && this.k[i] < this.k[j]);
  }

  private swap(i: number, j: number): void {
    [this.c[i], this.c[j]] = [this.c[j], this.c[i]];
    [this.k[i], this.k[j]] = [this.k[j], this.k[i]];
  }

  push(count: number, key: number): void {
    this.c.push(count);
    this.k.push(key);
    let i = this.c.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): [number, number] | undefined {
    if (this.c.length === 0) return undefined;
    const top: [number, number] = [this.c[0], this.k[0]];
    const lc = this.c.pop()!;
    const lk = this.k.pop()!;
    if (this.c.length > 0) {
      this.c[0] = lc;
      this.k[0] = lk;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.c.length && this.above(l, m)) m = l;
        if (r < this.c.length && this.above(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}
