/**
 * What a suggestion may show, decided piece by piece as it is generated: any generator (the
 * recurrent model's completer, the n-gram baseline) feeds each chosen piece of text with the
 * probability the generator gave it, and the builder says when to stop and what is left to show.
 *
 * The rules, in the order they apply:
 * - confidence gating: a piece whose probability is below `minConfidence` ends the suggestion
 *   before it (an unsure guess costs the reader's attention and saves nothing);
 * - word granularity: when that happens inside a word, the suggestion is cut back to the end of
 *   its last whole word (half a word is rarely what was meant);
 * - loops: a stretch that repeats right after itself (`the the`, a sentence twice) is cut before
 *   its second copy, and generation stops; a line that is a run of one punctuation character
 *   under a line of text (a heading's underline) ends at that line's width;
 * - lines: without `multiline` the suggestion ends at the line end; with it, a line end is crossed
 *   only when the newline and the next line's indentation each have probability at least
 *   `multilineMinConfidence`, and a suggestion never ends inside a fresh line's indentation.
 */
export interface SuggestionPolicy {
  /** Characters at most. */
  maxLength: number;
  /** Carry on over line ends (when confident) or stop at the end of the line. */
  multiline: boolean;
  /** Probability (0–1) below which a piece ends the suggestion; 0 never ends one. */
  minConfidence: number;
  /** With `multiline`: probability the newline and the next line's indentation each need. */
  multilineMinConfidence: number;
}

/**
 * minConfidence 0.97: the rule, the threshold with the most keystrokes saved per character
 * shown (`seqlab complete-eval --part validation --mixture shipped --sweep`, 0.5 to 0.9 in steps
 * of 0.1 and 0.05, then 0.95 to 0.99 in steps of 0.01), for the shipped completion (the reference
 * character LSTM mixed with the 8-gram of its training text, completionMixture) typing held-out
 * READMEs: 0.596 at 0.97 against 0.576 at 0.95 and 0.569 at 0.99, saving 15.7% of keystrokes
 * (the 8-gram alone: 14.3%, the LSTM alone: 14.1%). For the LSTM alone the rule would take 0.98
 * (0.567 against 0.561 at 0.97).
 */
export const DEFAULT_SUGGESTION_POLICY: SuggestionPolicy = {
  maxLength: 64,
  multiline: false,
  minConfidence: 0.97,
  multilineMinConfidence: 0.8,
};

/**
 * The default minConfidence when completion uses the model alone (no training text to mix in, or
 * seqlab.completion.ngram off): the same rule and sweep as DEFAULT_SUGGESTION_POLICY's, applied
 * to the LSTM alone, takes 0.98 (0.567 keystrokes saved per shown character against 0.561 at 0.97).
 */
export const MODEL_ALONE_MIN_CONFIDENCE = 0.98;

/** Letters, digits and `_` (any script): what accept-word and the word rule treat as a word. */
const WORD = /[\p{L}\p{N}_]/u;
export const isWordChar = (c: string): boolean => WORD.test(c);

/** Why the builder stopped, for tests and diagnostics. */
export type StopReason = 'length' | 'confidence' | 'loop' | 'line' | 'end';

/** Characters before the cursor that the loop rule looks back over. */
export const LOOP_REACH = 64;

/** Characters before the cursor that the underline rule looks back over (a heading and its underline). */
export const UNDERLINE_REACH = 256;

/** Repeats shorter than this are not loops (`))`, `--`, indentation, `ll` in words). */
const MIN_LOOP_UNIT = 2;

export class SuggestionBuilder {
  private out = '';
  /** Where the last line end that was crossed is in `out` (-1: none), and whether its
   * indentation is still being generated. */
  private lineAt = -1;
  private inIndent = false;
  stopped?: StopReason;

  /**
   * `before`: the end of the text before the cursor (a line is enough): it lets the loop rule see
   * a repeat that starts in typed text, and tells whether the suggestion starts inside a word.
   */
  constructor(
    private readonly p: SuggestionPolicy,
    private readonly before = '',
    /** More of the text before the cursor, for the underline rule (`before` if not given). */
    private readonly wide = before,
  ) {}

  /** Adds the next generated piece; returns false when generation should stop. */
  add(piece: string, prob: number): boolean {
    if (this.stopped) return false;
    if (piece === '') return true;
    const { p } = this;
    const nl = piece.indexOf('\n');
    if (nl >= 0 && !p.multiline) {
      this.out += piece.slice(0, nl);
      return this.stop('line');
    }
    const crossing = nl >= 0 || this.inIndent;
    const need = crossing ? Math.max(p.minConfidence, p.multilineMinConfidence) : p.minConfidence;
    if (prob < need) return this.stop('confidence', piece);
    if (nl >= 0 && !this.inIndent) {
      this.lineAt = this.out.length + nl;
      this.inIndent = true;
    }
    this.out += piece;
    if (this.inIndent && /[^ \t\n]/.test(this.out.slice(this.lineAt + 1))) this.inIndent = false;
    if (this.cutLoop() || this.cutRule()) return this.stop('loop');
    if ([...this.out].length >= p.maxLength) return this.stop('length');
    return true;
  }

  /** The generator has nothing more (end of text, or its own limit). */
  end(): void {
    if (!this.stopped) this.stop('end');
  }

  /** The suggestion to show ('' for none). */
  text(): string {
    const s = [...this.out].slice(0, this.p.maxLength).join('');
    return s.trim() === '' ? '' : s;
  }

  private stop(why: StopReason, rejected = ''): false {
    this.stopped = why;
    if (this.inIndent) {
      // Never end inside a new line's indentation: the reader cannot tell where the line goes.
      this.out = this.out.slice(0, this.lineAt);
      this.inIndent = false;
    } else if (why === 'confidence' && rejected && isWordChar(rejected[0])) {
      // Unsure inside a word: back to the end of the last whole word.
      const last = this.out.length ? this.out[this.out.length - 1] : this.before.slice(-1);
      if (last && isWordChar(last)) this.out = this.out.slice(0, lastWordEnd(this.out));
    }
    if (why === 'loop') this.out = this.out.replace(/[ \t]+$/, '');
    return false;
  }

  /**
   * Whether the text now ends in a loop: a stretch that repeats with some period, with a whole
   * copy inside the suggestion after the copy that the cursor is in. If so, the suggestion is cut
   * at the end of that copy (the person may be repeating text themselves; completing their copy
   * is fine, a further one is the model going round), and back to a word end if that is inside
   * a word.
   */
  private cutLoop(): boolean {
    const s = this.before + this.out;
    const n = s.length;
    const cursor = this.before.length;
    const last = s.charCodeAt(n - 1);
    for (let unit = MIN_LOOP_UNIT; 2 * unit <= n; unit++) {
      if (s.charCodeAt(n - 1 - unit) !== last || !repeats(s, unit, 2)) continue;
      // A repeat of punctuation or spaces (`----`, `), )`) is layout, not a loop.
      const copy = s.slice(n - unit);
      if (!/[\p{L}\p{N}]/u.test(copy)) continue;
      let start = n - 2 * unit;
      while (start > 0 && s.charCodeAt(start - 1) === s.charCodeAt(start - 1 + unit)) start--;
      // Inside one word, twice is a spelling (`banana`, `2020`); three times is a loop.
      if (!/[^\p{L}\p{N}_]/u.test(copy) && n - start < 3 * unit) continue;
      let keep = start + unit * Math.max(1, Math.ceil((cursor - start) / unit));
      // Typed text that repeats only a separator (`and the ` + `the`) is no sign of repeating.
      const copyStart = keep - unit;
      if (copyStart > start && copyStart < cursor && !/[\p{L}\p{N}]/u.test(s.slice(copyStart, cursor)))
        keep = copyStart;
      if (n - keep < unit) continue;
      let cut = Math.max(0, keep - cursor);
      if (cut > 0 && isWordChar(s[keep - 1]) && isWordChar(s[keep]))
        cut = lastWordEnd(this.out.slice(0, cut));
      this.out = this.out.slice(0, cut);
      return true;
    }
    return false;
  }
  /**
   * Whether the line is a run of one punctuation character under a line of text (a Markdown
   * heading's `====` or `----`) that has grown longer than that line; if so, it is cut to the
   * line's width. The loop rule lets such runs be (they are layout), and a model cannot count
   * the heading, so it would otherwise suggest the run at full length at every keystroke of the
   * underline, never accepted (it has no word end to accept up to).
   */
  private cutRule(): boolean {
    const last = this.out[this.out.length - 1];
    if (!last || isWordChar(last) || /\s/.test(last)) return false;
    const s = this.wide + this.out;
    const lineStart = s.lastIndexOf('\n') + 1;
    if (lineStart === 0) return false;
    const aboveStart = s.lastIndexOf('\n', lineStart - 2) + 1;
    // The line above must be wholly in view: after a line end, or at the start of the text.
    if (aboveStart === 0 && this.wide.length >= UNDERLINE_REACH) return false;
    const above = s.slice(aboveStart, lineStart - 1);
    const line = s.slice(lineStart);
    if (!/\S/.test(above) || line.length <= above.length) return false;
    if (!/^([^\p{L}\p{N}_\s])\1*$/u.test(line)) return false;
    this.out = this.out.slice(0, Math.max(0, lineStart + above.length - this.wide.length));
    return true;
  }
}

/** Whether `s` ends with the same `unit` characters `times` times in a row. */
function repeats(s: string, unit: number, times: number): boolean {
  const n = s.length;
  if (unit * times > n) return false;
  for (let k = 0; k < unit; k++) {
    const c = s.charCodeAt(n - 1 - k);
    for (let t = 1; t < times; t++) if (s.charCodeAt(n - 1 - k - t * unit) !== c) return false;
  }
  return true;
}

/** The end of the last whole word in `s` (a word character followed by a non-word one), or 0. */
function lastWordEnd(s: string): number {
  for (let i = s.length - 1; i > 0; i--) if (isWordChar(s[i - 1]) && !isWordChar(s[i])) return i;
  return 0;
}

/** The suggestion `policy` makes of generated `pieces` after the text `before` ('' for none). */
export function buildSuggestion(
  pieces: Iterable<{ piece: string; prob: number }>,
  before: string,
  policy: SuggestionPolicy,
): string {
  const b = new SuggestionBuilder(policy, before.slice(-LOOP_REACH), before.slice(-UNDERLINE_REACH));
  for (const { piece, prob } of pieces) if (!b.add(piece, prob)) break;
  b.end();
  return b.text();
}
