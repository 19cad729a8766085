import { BpeTokenizer } from './bpe';
import { CharTokenizer } from './char';
import { Tokenizer, TokenizerJSON } from './types';
import { WordTokenizer } from './word';

export type TokenizerKind = TokenizerJSON['kind'];
export { BpeTokenizer, CharTokenizer, WordTokenizer };
export type { Tokenizer, TokenizerJSON };

/** `texts` may be a generator that reads one file at a time (a shard of a large corpus). */
export function trainTokenizer(kind: TokenizerKind, texts: Iterable<string>, vocabSize: number): Tokenizer {
  switch (kind) {
    case 'char':
      return CharTokenizer.train(texts, vocabSize);
    case 'word':
      return WordTokenizer.train(texts, vocabSize || 10000);
    case 'bpe':
      return BpeTokenizer.train(texts, vocabSize || 1024);
  }
}

export function tokenizerFromJSON(json: TokenizerJSON): Tokenizer {
  switch (json?.kind) {
    case 'char':
      return new CharTokenizer(json.vocab);
    case 'word':
      return new WordTokenizer(json.vocab);
    case 'bpe':
      return new BpeTokenizer(json.merges);
    default:
      throw new Error(`unknown tokenizer kind ${JSON.stringify((json as { kind?: unknown })?.kind)}`);
  }
}

/** The token ids of several texts as one stream, in order. */
export function concatIds(parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
