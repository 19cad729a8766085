import { describeSkips, type PairSplits } from './pairs';

/**
 * A selection as the translator takes it: one sentence a line. Each non-blank line is translated
 * on its own; blank lines and each line's indentation stay where they were.
 */
export function translationLines(text: string): { inputs: string[]; rebuild(outputs: string[]): string } {
  const lines = text.split(/\r?\n/);
  const inputs = lines.map((l) => l.trim()).filter((l) => l.length > 0);
  return {
    inputs,
    rebuild(outputs: string[]): string {
      let k = 0;
      return lines.map((l) => (l.trim() ? `${/^\s*/.exec(l)![0]}${outputs[k++] ?? ''}` : '')).join('\n');
    },
  };
}

/** A selection as the summariser takes it: one input, whitespace and line breaks as single spaces. */
export function summaryInput(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export interface PairsPreview {
  /** "35 pairs: 31 train, 4 validation (split by hash of the source line)". */
  counts: string;
  /** The first pairs as `source → target`, each side cut to 80 characters. */
  first: string[];
  /** What reading skipped, one line per kind, naming the file and the first line. */
  skipped: string[];
}

const cut = (s: string, n = 80) => ([...s].length > n ? `${[...s].slice(0, n - 1).join('')}…` : s);

/** What Train Translator on Pairs… shows before it starts: counts, the first pairs, what was skipped. */
export function previewPairs(s: PairSplits, n = 5): PairsPreview {
  const total = s.train.length + s.val.length + s.test.length;
  const parts = [`${s.train.length} train`, `${s.val.length} validation`];
  if (s.test.length) parts.push(`${s.test.length} test`);
  const from = s.valFrom === 'hash' ? 'split by hash of the source line' : `validation from ${s.valFrom}`;
  return {
    counts: `${total} pairs: ${parts.join(', ')} (${from})`,
    first: [...s.train, ...s.val].slice(0, n).map((p) => `${cut(p.source)} → ${cut(p.target)}`),
    skipped: describeSkips(s.report),
  };
}
