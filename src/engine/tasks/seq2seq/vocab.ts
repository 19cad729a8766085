import { Tokenizer, TokenizerJSON, tokenizerFromJSON } from '../../tokenizers';

/**
 * A side's ids: the tokenizer's own ids, then three specials after them (so that a token's id is
 * the tokenizer's): padding, start of output, end of sequence.
 */
export class SideVocab {
  readonly pad: number;
  readonly bos: number;
  readonly eos: number;
  readonly size: number;

  constructor(readonly tokenizer: Tokenizer) {
    const V = tokenizer.vocabSize;
    this.size = V + 3;
    this.pad = V;
    this.bos = SideVocab.bosOf(this.size);
    this.eos = V + 2;
  }

  /** The start token's id in a side of `size` ids (the model knows only the size). */
  static bosOf(size: number): number {
    return size - 2;
  }

  static fromJSON(json: TokenizerJSON): SideVocab {
    return new SideVocab(tokenizerFromJSON(json));
  }

  /** Token ids of a text, and how many pieces fell back to `<unk>`. */
  encode(text: string): { ids: Int32Array; unknown: number } {
    return this.tokenizer.encodeCounting(text);
  }

  /** Text of output ids, stopping at the end token and leaving out the specials. */
  decode(ids: ArrayLike<number>): string {
    const keep: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] === this.eos) break;
      if (ids[i] < this.pad) keep.push(ids[i]);
    }
    return this.tokenizer.decode(keep);
  }

  /** What each id shows as (attention heatmaps, the manifest's display vocabulary). */
  pieces(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (id) =>
      id === this.pad
        ? '<pad>'
        : id === this.bos
          ? '<s>'
          : id === this.eos
            ? '</s>'
            : id === this.tokenizer.unkId
              ? '<unk>'
              : this.tokenizer.tokenText(id),
    );
  }

  /**
   * The checkpoint manifest's `tokenizer`: a word list of every output id (the target tokenizer
   * itself is in the task spec), so that readers which check vocabulary against model find them
   * equal.
   */
  displayTokenizer(): TokenizerJSON {
    const vocab = ['<unk>'];
    for (let i = 1; i < this.size; i++) vocab.push(this.pieces([i])[0] || `<${i}>`);
    return { kind: 'word', vocab };
  }
}
