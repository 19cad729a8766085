/**
 * sacreBLEU's default `13a` tokenisation (mteval-v13a, the WMT standard), so that SeqLab's BLEU is
 * the figure papers report: unescape the four XML entities, split punctuation and symbols off,
 * split periods and commas except inside numbers, split a dash after a digit.
 */
const RULES: [RegExp, string][] = [
  [/([{-~[-` -&(-+:-@/])/g, ' $1 '],
  [/([^0-9])([.,])/g, '$1 $2 '],
  [/([.,])([^0-9])/g, ' $1 $2'],
  [/([0-9])(-)/g, '$1 $2 '],
];

export function tokenize13a(text: string): string {
  let line = text
    .replace(/<skipped>/g, '')
    .replace(/-\n/g, '')
    .replace(/\n/g, ' ');
  if (line.includes('&'))
    line = line
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>');
  line = ` ${line} `;
  for (const [re, repl] of RULES) line = line.replace(re, repl);
  return splitWhitespace(line).join(' ');
}

/** Python's str.split(): runs of whitespace separate, none at the ends. */
export function splitWhitespace(s: string): string[] {
  return s.split(/\s+/).filter((w) => w.length > 0);
}
