/** The serialised form of every tokenizer: `kind` picks the class that reads the rest. */
export type TokenizerJSON =
  | { kind: 'char'; vocab: string[] }
  | { kind: 'word'; vocab: string[] }
  | { kind: 'bpe'; merges: [number, number][] };

export interface Tokenizer {
  readonly kind: TokenizerJSON['kind'];
  readonly vocabSize: number;
  /** Id of `<unk>`, or -1 where every input is representable (byte-level BPE). */
  readonly unkId: number;
  encode(text: string): Int32Array;
  /** Like encode, and also counts the pieces that fell back to `<unk>`. */
  encodeCounting(text: string): { ids: Int32Array; unknown: number };
  decode(ids: ArrayLike<number>): string;
  /** The text one token stands for (for BPE, possibly part of a UTF-8 sequence: see bytesOf). */
  tokenText(id: number): string;
  toJSON(): TokenizerJSON;
}

export const UNK = '<unk>';
