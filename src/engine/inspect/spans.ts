import { BpeTokenizer, Tokenizer, WordTokenizer } from '../tokenizers';
import { wordPieces } from '../tokenizers/word';

/** Where each token of a text lies in it: UTF-16 offsets [starts[i], ends[i]). */
export interface TokenSpans {
  ids: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
}

/**
 * Tokenizes `text` and finds each token's span, so that per-token values (surprisal, a unit's
 * activation) can be drawn on the characters they belong to. Char tokens are code points; word
 * tokens are the tokenizer's pieces; a byte-level BPE token covers the characters whose UTF-8
 * bytes it holds (a character split between two tokens goes to the first).
 */
export function tokenSpans(tok: Tokenizer, text: string): TokenSpans {
  const ids = tok.encode(text);
  const starts = new Int32Array(ids.length);
  const ends = new Int32Array(ids.length);
  if (tok instanceof BpeTokenizer) {
    const enc = new TextEncoder();
    let tokIdx = 0;
    let tokBytesLeft = ids.length ? tok.bytesOf(ids[0]).length : 0;
    let at = 0;
    starts[0] = 0;
    for (const ch of text) {
      const n = enc.encode(ch).length;
      at += ch.length;
      tokBytesLeft -= n;
      while (tokIdx < ids.length && tokBytesLeft <= 0) {
        ends[tokIdx] = at;
        tokIdx++;
        if (tokIdx < ids.length) {
          starts[tokIdx] = at;
          tokBytesLeft += tok.bytesOf(ids[tokIdx]).length;
        }
      }
    }
    for (; tokIdx < ids.length; tokIdx++) ends[tokIdx] = starts[tokIdx] = text.length;
    return { ids, starts, ends };
  }
  if (tok instanceof WordTokenizer) {
    let at = 0;
    wordPieces(text).forEach((piece, i) => {
      if (i >= ids.length) return;
      at = Math.max(at, text.indexOf(piece, at));
      starts[i] = at;
      ends[i] = at += piece.length;
    });
    return { ids, starts, ends };
  }
  // char: one token per code point.
  let i = 0;
  for (let at = 0; at < text.length && i < ids.length; i++) {
    const cp = text.codePointAt(at)!;
    starts[i] = at;
    at += cp > 0xffff ? 2 : 1;
    ends[i] = at;
  }
  return { ids, starts, ends };
}

/** Index of the token whose span holds `offset` (the last token at or before it), or -1. */
export function tokenAt(spans: Pick<TokenSpans, 'starts'>, offset: number): number {
  const s = spans.starts;
  let lo = 0;
  let hi = s.length - 1;
  if (hi < 0 || offset < s[0]) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
