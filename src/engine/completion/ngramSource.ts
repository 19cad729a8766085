import * as fs from 'fs';
import * as path from 'path';
import type { TrainConfig } from '../config';
import {
  CorpusOptions,
  listCorpus,
  noTextError,
  readCorpusText,
  SkippedFile,
  splitPlan,
  tailCut,
} from '../corpus';
import { readRunConfig, runPaths } from '../runFolder';
import { corpusOptions } from '../tasks/languageModel/data';
import type { TokenizerJSON } from '../tokenizers';

/**
 * The most training text the extension builds its completion n-gram from (UTF-16 code units).
 * The 8-gram's tables cost about 14 bytes per character of text (18.8 MB for the bench's 1.4 M)
 * and its build about a second per million characters, so 8 M characters keep it near 110 MB
 * and its build, in a background thread, to several seconds.
 */
export const NGRAM_MAX_CHARS = 8_000_000;

/**
 * Where a checkpoint's n-gram text comes from, or why there is none (what, where, what to do).
 * `transient`: the reason may go away by itself (a training folder gone with a branch switch or an
 * unmounted drive may come back), so it is worth looking again; the tokenizer and the checkpoint's
 * place never change.
 */
export type NgramSource =
  | { ok: true; runDir: string; folder: string; options: CorpusOptions }
  | { ok: false; why: string; where: string; hint: string; transient: boolean };

const OFF_HINT = 'Set seqlab.completion.ngram to false to silence this.';

/**
 * The training folder and corpus options of the run a checkpoint belongs to
 * (`<run>/checkpoints/<name>`, with the run's config.json), when the model is a character model
 * and the folder still exists: the n-gram then reads the run's own training split.
 */
export function ngramSourceOf(checkpoint: string, tokenizer: Pick<TokenizerJSON, 'kind'>): NgramSource {
  if (tokenizer.kind !== 'char')
    return {
      ok: false,
      why: `the model has a ${tokenizer.kind} tokenizer, and only a character model can be mixed with the character n-gram`,
      where: checkpoint,
      hint: `Train with the char tokenizer to get the mixture. ${OFF_HINT}`,
      transient: false,
    };
  const runDir = path.dirname(path.dirname(path.resolve(checkpoint)));
  let config;
  try {
    config = readRunConfig(runDir);
  } catch {
    config = undefined;
  }
  if (path.basename(path.dirname(path.resolve(checkpoint))) !== 'checkpoints' || !config?.folder)
    return {
      ok: false,
      why: 'the checkpoint is not in a run folder, so its training text is unknown',
      where: runPaths(runDir).config,
      hint: `Use a checkpoint under .seqlab/runs/<run>/checkpoints to get the mixture. ${OFF_HINT}`,
      transient: false,
    };
  if (!fs.existsSync(config.folder))
    return {
      ok: false,
      why: `the run's training folder ${config.folder} no longer exists`,
      where: runPaths(runDir).config,
      hint: `Put the folder back at ${config.folder}: completion looks for it again while you type (at most every 30 s) and then builds the mixture. ${OFF_HINT}`,
      transient: true,
    };
  return {
    ok: true,
    runDir,
    folder: config.folder,
    options: corpusOptions(config.train as TrainConfig, runPaths(runDir).config),
  };
}

export interface TrainingText {
  text: string;
  /** Training files whose text is in `text`, and all the run's training files. */
  files: number;
  trainFiles: number;
  /** Whether the cap left training text out. */
  capped: boolean;
  skipped: SkippedFile[];
}

/**
 * The training split of `folder` as the trainer read it (the same files, the same hash split,
 * a single file's head), at most `maxChars` of it. Under the cap it is the text `readCorpus`
 * gives, joined in corpus order, which `seqlab complete-eval` builds its n-gram from. Over the
 * cap, the most recently modified training files are kept (then joined in corpus order): the
 * files being worked on are the likeliest to share names and phrases with what is typed next.
 * The files are read once to learn which are usable (the split depends on that), and the kept
 * ones once more, so that a large corpus is never held whole.
 */
export function readTrainingText(
  folder: string,
  opts: CorpusOptions,
  maxChars = NGRAM_MAX_CHARS,
): TrainingText {
  const listing = listCorpus(folder, opts);
  const skipped: SkippedFile[] = [];
  const usable: { rel: string; chars: number; mtime: number; index: number }[] = [];
  for (const rel of listing.rels) {
    const r = readCorpusText(listing, rel);
    if ('reason' in r) skipped.push({ path: rel, reason: r.reason });
    else {
      let mtime = 0;
      try {
        mtime = fs.statSync(path.join(listing.root, rel)).mtimeMs;
      } catch {
        // Read a moment ago: a file gone since is dropped when it is read again.
      }
      usable.push({ rel, chars: r.text.length, mtime, index: usable.length });
    }
  }
  if (usable.length === 0) throw noTextError(listing, skipped);
  const { held, tailSplit } = splitPlan(
    usable.map((u) => u.rel),
    listing.valFraction,
  );
  const train = usable.filter((u) => !held.has(u.rel));
  const headOf = (text: string) => (tailSplit ? tailCut(text, listing.valFraction)[0] : text);
  const kept = new Set<number>();
  let chars = 0;
  for (const f of [...train].sort((a, b) => b.mtime - a.mtime || a.index - b.index)) {
    const n = tailSplit ? Math.ceil(f.chars * (1 - listing.valFraction)) : f.chars;
    if (chars + n > maxChars) continue;
    kept.add(f.index);
    chars += n;
  }
  const parts: string[] = [];
  for (const f of train) {
    if (!kept.has(f.index)) continue;
    const r = readCorpusText(listing, f.rel);
    if ('text' in r) parts.push(headOf(r.text));
  }
  let text = parts.join('');
  let cutShort = false;
  if (!kept.size) {
    // Every training file alone is over the cap: the start of the most recent one.
    const newest = [...train].sort((a, b) => b.mtime - a.mtime || a.index - b.index)[0];
    const r = readCorpusText(listing, newest.rel);
    text = 'text' in r ? headOf(r.text) : '';
    let cut = Math.min(text.length, maxChars);
    const c = text.charCodeAt(cut - 1);
    if (c >= 0xd800 && c < 0xdc00) cut--;
    cutShort = cut < text.length;
    text = text.slice(0, cut);
    kept.add(newest.index);
  }
  return {
    text,
    files: kept.size,
    trainFiles: train.length,
    capped: cutShort || kept.size < train.length,
    skipped,
  };
}
