import { SeqLabError } from '../errors';

/** The text features units are ranked against (Karpathy et al.'s, plus a user's regex). */
export const FEATURE_NAMES = [
  'inString',
  'inComment',
  'bracketDepth',
  'indentation',
  'positionInLine',
  'lineLength',
  'regex',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

export const FEATURE_LABELS: Record<FeatureName, string> = {
  inString: 'inside a string or quote',
  inComment: 'inside a comment',
  bracketDepth: 'bracket depth',
  indentation: 'indentation level',
  positionInLine: 'position in the line',
  lineLength: 'line length',
  regex: 'inside a regex match',
};

/**
 * Per-character feature values of a text, each a Float32Array of text.length. The values hold
 * *after* the character is read, because that is what the state after reading it can know: an
 * opening quote is inside the string, a closing one is not.
 *
 * Strings: "…", '…' and `…` with backslash escapes; comments: // and # to the end of the line
 * (# only at a line's first non-blank character, so that `a#b` and "#" are not comments) and
 * /* … *\/. The scanner is language-agnostic on purpose: the point is what the model learnt,
 * on code and prose alike.
 */
export function textFeatures(text: string, regex?: RegExp): Record<FeatureName, Float32Array> {
  const n = text.length;
  const f = Object.fromEntries(FEATURE_NAMES.map((k) => [k, new Float32Array(n)])) as Record<
    FeatureName,
    Float32Array
  >;
  let quote = '';
  let escaped = false;
  let comment: '' | 'line' | 'block' = '';
  let blockStart = -1;
  let depth = 0;
  let lineStart = 0;
  let indent = 0;
  let inIndent = true;
  for (let i = 0; i < n; i++) {
    const ch = text[i];
    if (i === lineStart) {
      inIndent = true;
      indent = 0;
    }
    if (inIndent && (ch === ' ' || ch === '\t')) indent += ch === '\t' ? 4 : 1;
    else if (ch !== '\n') inIndent = false;
    let inStr = 0;
    const before = comment;
    if (comment === 'line') {
      if (ch === '\n') comment = '';
    } else if (comment === 'block') {
      if (ch === '/' && text[i - 1] === '*' && i - 1 >= blockStart + 2) comment = '';
    } else if (quote) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === quote || (ch === '\n' && quote !== '`')) quote = '';
      inStr = quote ? 1 : 0;
    } else if (ch === '"' || ch === "'" || ch === '`') {
      quote = ch;
      inStr = 1;
    } else if (ch === '/' && text[i + 1] === '/') comment = 'line';
    else if (ch === '/' && text[i + 1] === '*') {
      comment = 'block';
      blockStart = i;
    } else if (ch === '#' && text.slice(lineStart, i).trim() === '') comment = 'line';
    else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if ((ch === ')' || ch === ']' || ch === '}') && depth > 0) depth--;
    f.inString[i] = inStr;
    // A comment's opening and closing characters belong to it.
    f.inComment[i] = before || comment ? 1 : 0;
    f.bracketDepth[i] = depth;
    f.indentation[i] = indent;
    f.positionInLine[i] = i - lineStart;
    if (ch === '\n') lineStart = i + 1;
  }
  // Line length needs the line's end: a second pass.
  for (let s = 0; s < n;) {
    let e = text.indexOf('\n', s);
    if (e < 0) e = n;
    for (let i = s; i <= e && i < n; i++) f.lineLength[i] = e - s;
    s = e + 1;
  }
  if (regex) {
    const g = new RegExp(regex.source, regex.flags.includes('g') ? regex.flags : regex.flags + 'g');
    for (const m of text.matchAll(g)) {
      if (m[0].length === 0) continue;
      f.regex.fill(1, m.index, m.index + m[0].length);
    }
  }
  return f;
}

/** A user's pattern (a CLI flag, an input box) as a RegExp, or a SeqLabError naming where it came from. */
export function parseFeatureRegex(source: string, where: string): RegExp {
  try {
    return new RegExp(source, 'gu');
  } catch (err) {
    throw new SeqLabError(
      'E_BAD_REGEX',
      `The pattern "${source}" is not a valid regular expression (${(err as Error).message})`,
      where,
      'Write a JavaScript regular expression, e.g. \\d+ or TODO.*',
    );
  }
}

/** Per-token values from per-character ones: the value at each token's last character. */
export function featuresPerToken(
  perChar: Record<FeatureName, Float32Array>,
  ends: Int32Array,
): Record<FeatureName, Float32Array> {
  const out = {} as Record<FeatureName, Float32Array>;
  for (const k of FEATURE_NAMES) {
    const src = perChar[k];
    const dst = new Float32Array(ends.length);
    for (let t = 0; t < ends.length; t++) dst[t] = ends[t] > 0 ? src[ends[t] - 1] : 0;
    out[k] = dst;
  }
  return out;
}
