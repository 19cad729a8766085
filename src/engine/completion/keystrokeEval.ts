import { isWordChar } from './policy';

/**
 * Simulates a person typing a text with inline completion, to measure what completion saves.
 *
 * The person types the text from its start. Wherever the provider would be asked (before the
 * first character and after every typed or accepted character), the suggester is asked for a
 * suggestion given the text before the cursor; a non-empty one is shown. The person then takes
 * what is right, in as few keystrokes as the editor allows:
 * - Tab, when the whole suggestion is what comes next: 1 keystroke for all of it;
 * - otherwise accept-word (VS Code's Accept Next Word), once per word of the suggestion's
 *   matching part: a word is a run of non-word characters (spaces, punctuation) and the word
 *   characters after it, so `" big red"` is two words; only words wholly inside the matching
 *   part are taken, 1 keystroke each, and only when that saves a keystroke;
 * - otherwise nothing: the person types the next character (1 keystroke).
 * After an accept, the provider is asked again at the new position.
 */
export type Suggest = (before: string) => string;

export interface KeystrokeCounts {
  /** Characters of the text. */
  chars: number;
  /** Keystrokes spent: typed characters plus accept actions. */
  keystrokes: number;
  /** Suggestions shown, and their characters. */
  shown: number;
  shownChars: number;
  /** Suggestions of which something was accepted, and the characters accepted. */
  accepted: number;
  acceptedChars: number;
}

export interface KeystrokeFigures extends KeystrokeCounts {
  /** Fraction of the text's characters that did not have to be typed: 1 − keystrokes / chars. */
  keystrokesSaved: number;
  shownPer100Chars: number;
  /** Accepted suggestions per shown suggestion. */
  acceptanceRate: number;
  /** Characters per accepted suggestion. */
  meanAcceptedLength: number;
  /** Characters shown per character accepted: the cost to the reader's eye (Infinity: none accepted). */
  shownPerAcceptedChar: number;
}

/** Characters the person takes from `suggestion` when `next` is what they mean to type, and the keystrokes it costs. */
export function acceptance(suggestion: string, next: string): { chars: number; keys: number } {
  if (!suggestion) return { chars: 0, keys: 0 };
  let m = 0;
  while (m < suggestion.length && m < next.length && suggestion[m] === next[m]) m++;
  if (m === suggestion.length) return { chars: m, keys: 1 };
  let chars = 0;
  let keys = 0;
  for (const end of wordEnds(suggestion)) {
    if (end > m) break;
    chars = end;
    keys++;
  }
  return chars > keys ? { chars, keys } : { chars: 0, keys: 0 };
}

/** Where accept-word stops in `s`: the end of each word (and the end of `s`). */
function wordEnds(s: string): number[] {
  const ends: number[] = [];
  for (let i = 1; i < s.length; i++) if (isWordChar(s[i - 1]) && !isWordChar(s[i])) ends.push(i);
  ends.push(s.length);
  return ends;
}

export function emptyCounts(): KeystrokeCounts {
  return { chars: 0, keystrokes: 0, shown: 0, shownChars: 0, accepted: 0, acceptedChars: 0 };
}

/** Types `text` with `suggest` helping, adding to `into`. */
export function simulateTyping(text: string, suggest: Suggest, into = emptyCounts()): KeystrokeCounts {
  into.chars += text.length;
  let p = 0;
  while (p < text.length) {
    const s = suggest(text.slice(0, p));
    if (s) {
      into.shown++;
      into.shownChars += s.length;
      const a = acceptance(s, text.slice(p, p + s.length));
      if (a.chars > 0) {
        into.accepted++;
        into.acceptedChars += a.chars;
        into.keystrokes += a.keys;
        p += a.chars;
        continue;
      }
    }
    into.keystrokes++;
    p++;
  }
  return into;
}

export function figures(c: KeystrokeCounts): KeystrokeFigures {
  return {
    ...c,
    keystrokesSaved: c.chars ? 1 - c.keystrokes / c.chars : 0,
    shownPer100Chars: c.chars ? (100 * c.shown) / c.chars : 0,
    acceptanceRate: c.shown ? c.accepted / c.shown : 0,
    meanAcceptedLength: c.accepted ? c.acceptedChars / c.accepted : 0,
    shownPerAcceptedChar: c.acceptedChars ? c.shownChars / c.acceptedChars : Infinity,
  };
}
