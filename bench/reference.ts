/**
 * What several bench sections share: the median they report, and the latency sections' reference
 * LSTM (vocabulary of the 95 printable ASCII characters, embedding 64, 2×256), so that the
 * completion, mixture and inspection figures are of the same model.
 */
import type { ModelConfig } from '../src/engine/config';
import { DEFAULT_COMPLETE_OPTIONS } from '../src/engine/inference/completer';
import { CharTokenizer } from '../src/engine/tokenizers';

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The 95 printable ASCII characters (space to tilde). */
export const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');

/** The reference LSTM's shape over a character tokenizer trained on `chars`. */
export function referenceCharModel(chars = PRINTABLE): { tok: CharTokenizer; config: ModelConfig } {
  const tok = CharTokenizer.train([chars]);
  return {
    tok,
    config: {
      cell: 'lstm',
      activation: 'tanh',
      vocabSize: tok.vocabSize,
      embedding: 64,
      hidden: 256,
      layers: 2,
      dropout: 0,
    },
  };
}

/**
 * Completion options for the latency figures: ungated (random weights are unsure of everything,
 * and the cold figure is for `generate` tokens; the policy still runs over each of them).
 */
export function ungatedOptions(generate: number): typeof DEFAULT_COMPLETE_OPTIONS {
  return {
    ...DEFAULT_COMPLETE_OPTIONS,
    maxContext: 512,
    maxLength: generate - 4,
    multiline: true,
    minConfidence: 0,
    multilineMinConfidence: 0,
  };
}

/**
 * A code-like document of n characters (strings, comments, brackets, indentation): what the
 * inspection sections of the bench inspect, so that their figures are of the same text.
 */
export function codeDocument(n: number): string {
  const lines = [
    'function add(a, b) {',
    '  // sum two numbers',
    '  return a + b;',
    '}',
    'const s = "hello (world)";',
    'if (x[0] > 1) { y = f(x, [1, 2]); }',
  ];
  let out = '';
  for (let i = 0; out.length < n; i++) out += lines[(i * 7) % lines.length] + '\n';
  return out.slice(0, n);
}
