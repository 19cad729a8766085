import { Tokenizer, TokenizerJSON, UNK } from './types';

/**
 * Pieces: a CJK character (these languages do not separate words with spaces, so each character
 * is a piece), a run of letters/digits with their combining marks, a run of whitespace, or any
 * other single character with its marks (punctuation, emoji). Concatenating the pieces gives
 * back the text exactly, which is what makes decode(encode(x)) === x for in-vocabulary text.
 */
const PIECE =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]\p{M}*|[\p{L}\p{N}_][\p{L}\p{M}\p{N}_]*|\s+|[^\s]\p{M}*/gu;

export function wordPieces(text: string): string[] {
  return text.match(PIECE) ?? [];
}

/** Top-K pieces by frequency; everything else is `<unk>` (id 0). */
export class WordTokenizer implements Tokenizer {
  readonly kind = 'word' as const;
  readonly unkId = 0;
  private readonly ids = new Map<string, number>();

  constructor(readonly vocab: string[]) {
    if (vocab[0] !== UNK) throw new Error(`word tokenizer: vocab[0] must be ${UNK}`);
    vocab.forEach((w, i) => i > 0 && this.ids.set(w, i));
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  static train(texts: Iterable<string>, maxSize = 10000): WordTokenizer {
    const counts = new Map<string, number>();
    for (const text of texts) for (const p of wordPieces(text)) counts.set(p, (counts.get(p) ?? 0) + 1);
    const pieces = [...counts.keys()].sort(
      (a, b) => counts.get(b)! - counts.get(a)! || (a < b ? -1 : a > b ? 1 : 0),
    );
    return new WordTokenizer([UNK, ...pieces.slice(0, Math.max(1, maxSize - 1))]);
  }

  encode(text: string): Int32Array {
    return this.encodeCounting(text).ids;
  }

  encodeCounting(text: string): { ids: Int32Array; unknown: number } {
    const pieces = wordPieces(text);
    const out = new Int32Array(pieces.length);
    let unknown = 0;
    for (let i = 0; i < pieces.length; i++) {
      const id = this.ids.get(pieces[i]) ?? 0;
      if (id === 0) unknown++;
      out[i] = id;
    }
    return { ids: out, unknown };
  }

  /** The id of a piece, if it is in the vocabulary (used to complete a partial last word). */
  idOf(piece: string): number | undefined {
    return this.ids.get(piece);
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
    return { kind: 'word', vocab: this.vocab };
  }
}
