import { Tokenizer, TokenizerJSON, UNK } from './types';

/**
 * One token per Unicode code point (not per UTF-16 unit, so an emoji is one token). Id 0 is
 * `<unk>`, for code points unseen in training.
 */
export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  readonly unkId = 0;
  private readonly ids = new Map<number, number>();
  /** Direct table for the Basic Multilingual Plane: the hot path of encode. */
  private readonly bmp = new Int32Array(0x10000).fill(0);

  constructor(readonly vocab: string[]) {
    if (vocab[0] !== UNK) throw new Error(`char tokenizer: vocab[0] must be ${UNK}`);
    for (let i = 1; i < vocab.length; i++) {
      const cp = vocab[i].codePointAt(0)!;
      this.ids.set(cp, i);
      if (cp < 0x10000) this.bmp[cp] = i;
    }
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  /** Code points ordered by frequency (then by value, for a stable order); `maxSize` caps the vocab. */
  static train(texts: Iterable<string>, maxSize = 0): CharTokenizer {
    // A typed array for the Basic Multilingual Plane: a Map update per character was most of
    // the time of ingesting a corpus.
    const bmp = new Float64Array(0x10000);
    const counts = new Map<number, number>();
    for (const text of texts) {
      for (let i = 0; i < text.length; i++) {
        const cu = text.charCodeAt(i);
        if (cu >= 0xd800 && cu < 0xdc00 && i + 1 < text.length) {
          const lo = text.charCodeAt(i + 1);
          if (lo >= 0xdc00 && lo < 0xe000) {
            const cp = 0x10000 + ((cu - 0xd800) << 10) + (lo - 0xdc00);
            counts.set(cp, (counts.get(cp) ?? 0) + 1);
            i++;
            continue;
          }
        }
        bmp[cu]++;
      }
    }
    for (let cp = 0; cp < 0x10000; cp++) if (bmp[cp] > 0) counts.set(cp, bmp[cp]);
    let cps = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || a - b);
    if (maxSize > 1) cps = cps.slice(0, maxSize - 1);
    cps.sort((a, b) => a - b);
    return new CharTokenizer([UNK, ...cps.map((c) => String.fromCodePoint(c))]);
  }

  encode(text: string): Int32Array {
    return this.encodeCounting(text).ids;
  }

  encodeCounting(text: string): { ids: Int32Array; unknown: number } {
    const out = new Int32Array(text.length);
    let n = 0;
    let unknown = 0;
    const bmp = this.bmp;
    for (let i = 0; i < text.length; i++) {
      const cu = text.charCodeAt(i);
      let id: number;
      if (cu >= 0xd800 && cu < 0xdc00 && i + 1 < text.length) {
        const lo = text.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo < 0xe000) {
          id = this.ids.get(0x10000 + ((cu - 0xd800) << 10) + (lo - 0xdc00)) ?? 0;
          i++;
        } else id = bmp[cu];
      } else id = bmp[cu];
      if (id === 0) unknown++;
      out[n++] = id;
    }
    return { ids: n === out.length ? out : out.slice(0, n), unknown };
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.tokenText(ids[i]);
    return s;
  }

  tokenText(id: number): string {
    return id > 0 && id < this.vocab.length ? this.vocab[id] : '';
  }

  toJSON(): TokenizerJSON {
    return { kind: 'char', vocab: this.vocab };
  }
}
