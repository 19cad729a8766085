import { BpeTokenizer, Tokenizer, WordTokenizer } from '../tokenizers';
import { wordPieces } from '../tokenizers/word';

/**
 * The text a tokenizer's tokens spell, as one string type in which "is a prefix of" means the same
 * thing for tokens and for typed text. For char and word tokenizers that is the text itself; for
 * byte-level BPE it is the UTF-8 bytes, one char per byte, because a token can end in the middle
 * of a multi-byte character.
 */
export interface TokenSpace {
  /** The tokens before the last (partial) piece, and that piece's spelling (empty for char). */
  splitTail(text: string): { ids: number[]; tail: string };
  spell(id: number): string;
  /** Back from spellings to text; an incomplete UTF-8 sequence at the end is dropped. */
  toText(spelled: string): string;
  /** Whether a token may cover only the start of the tail (BPE: a partial word can be several tokens). */
  readonly tokensMayUnderrunTail: boolean;
  /** One token per code point, so tokenizing text piecewise gives the same ids (char). */
  readonly perCharacter: boolean;
}

const latin1 = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
};

export function tokenSpaceOf(tok: Tokenizer): TokenSpace {
  if (tok instanceof BpeTokenizer) {
    const spelled: string[] = [];
    for (let id = 0; id < tok.vocabSize; id++) spelled.push(latin1(tok.bytesOf(id)));
    const decoder = new TextDecoder('utf-8');
    const encoder = new TextEncoder();
    return {
      // The whole last pre-tokenizer chunk (a word with its leading space, a number, a
      // punctuation run) is the tail: BPE may have split a half-typed word into tokens that
      // never occur in training, such as " h" + "ou" for " hou" where training saw " house".
      splitTail(text) {
        const chunks = BpeTokenizer.chunks(text);
        const last = chunks.length ? chunks[chunks.length - 1] : '';
        const ids = Array.from(tok.encode(text.slice(0, text.length - last.length)));
        return { ids, tail: latin1(encoder.encode(last)) };
      },
      spell: (id) => spelled[id] ?? '',
      toText(s) {
        const b = Uint8Array.from(s, (c) => c.charCodeAt(0));
        let end = b.length;
        // Drop a trailing incomplete UTF-8 sequence rather than show U+FFFD.
        let k = end - 1;
        while (k >= 0 && k > end - 4 && (b[k] & 0xc0) === 0x80) k--;
        if (k >= 0 && b[k] >= 0xc0) {
          const need = b[k] >= 0xf0 ? 4 : b[k] >= 0xe0 ? 3 : 2;
          if (end - k < need) end = k;
        }
        return decoder.decode(b.subarray(0, end));
      },
      tokensMayUnderrunTail: true,
      perCharacter: false,
    };
  }
  if (tok instanceof WordTokenizer) {
    return {
      splitTail(text) {
        const ids = Array.from(tok.encode(text));
        ids.pop();
        const pieces = wordPieces(text);
        return { ids, tail: pieces.length ? pieces[pieces.length - 1] : '' };
      },
      spell: (id) => tok.tokenText(id),
      toText: (s) => s,
      tokensMayUnderrunTail: false,
      perCharacter: false,
    };
  }
  // char: every token is complete the moment it is typed.
  return {
    splitTail: (text) => ({ ids: Array.from(tok.encode(text)), tail: '' }),
    spell: (id) => tok.tokenText(id),
    toText: (s) => s,
    tokensMayUnderrunTail: false,
    perCharacter: true,
  };
}
