import * as fs from 'fs';
import * as path from 'path';
import fg from 'fast-glob';
import ignore, { Ignore } from 'ignore';
import { SeqLabError } from './errors';
import { hashString } from './rng';

export const DEFAULT_INCLUDE = [
  '**/*.{txt,md,markdown,rst,adoc,tex,org}',
  '**/*.{ts,tsx,js,jsx,mjs,cjs,py,pyi,rb,go,rs,java,kt,scala,swift,c,h,cc,cpp,hpp,cs,php,lua,r,jl,hs,ml,ex,exs,clj,sh,bash,zsh,ps1,sql}',
  '**/*.{html,css,scss,less,vue,svelte,json,yaml,yml,toml,ini,cfg,xml}',
  '**/{README,LICENSE,COPYING,Makefile,Dockerfile}',
];
export const DEFAULT_EXCLUDE = [
  '**/.git/**',
  '**/node_modules/**',
  '**/dist/**',
  '**/out/**',
  '**/build/**',
  '**/.seqlab/**',
];
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;

export interface CorpusOptions {
  include?: string[];
  exclude?: string[];
  maxFileBytes?: number;
  /** Fraction of files (or, for a single file, of its tail) held out for validation. */
  valFraction?: number;
  respectGitignore?: boolean;
  /** Where the include/exclude patterns came from (a flag, seqlab.json, config.json), for errors. */
  patternSource?: string;
}

export interface CorpusFile {
  path: string;
  chars: number;
  split: 'train' | 'val';
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface Corpus {
  folder: string;
  files: CorpusFile[];
  skipped: SkippedFile[];
  train: string[];
  val: string[];
  trainChars: number;
  valChars: number;
}

/** Counts code points, which is what "characters" means in bits per character. */
export function countChars(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00) n--;
  }
  return n;
}

/**
 * A pattern that is absolute or climbs with `..` would let a corpus (from a flag, a repository's
 * seqlab.json or an edited config.json) read files anywhere on the machine, so it is refused.
 */
export function checkCorpusPatterns(patterns: string[], kind: 'include' | 'exclude', source?: string): void {
  for (const pattern of patterns) {
    const absolute =
      pattern.startsWith('/') ||
      pattern.startsWith('\\') ||
      /^[A-Za-z]:/.test(pattern) ||
      pattern.startsWith('~');
    const climbs = pattern.split(/[\\/]/).includes('..');
    if (!absolute && !climbs) continue;
    throw new SeqLabError(
      'E_PATTERN_OUTSIDE',
      `The ${kind} pattern '${pattern}'${source ? ` (from ${source})` : ''} ${absolute ? 'is absolute' : "climbs out with '..'"}: corpus patterns may only select files inside the training folder.`,
      source ?? `${kind} pattern`,
      `Write it relative to the training folder (e.g. 'docs/**/*.md'), or train on the folder that holds those files.`,
    );
  }
}

/** Why a file could not be read, in words, for the corpus report's skipped list. */
function readFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return 'vanished before it could be read (ENOENT)';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code})`;
    case 'EISDIR':
      return 'is a directory (EISDIR)';
    case 'EIO':
      return 'read error from the disk (EIO)';
    case 'ELOOP':
      return 'symbolic link loop (ELOOP)';
    default:
      return `could not be read (${code ?? (e instanceof Error ? e.message : String(e))})`;
  }
}

/**
 * Opens without blocking (a FIFO would otherwise wait for a writer forever) and reads only a
 * regular file; returns the bytes, or the reason it was skipped.
 */
function readRegularFile(abs: string, maxBytes: number): Buffer | string {
  let fd: number;
  try {
    fd = fs.openSync(abs, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    return readFailure(e);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) return 'is a directory';
    if (!st.isFile()) return 'not a regular file (device, FIFO or socket)';
    if (st.size > maxBytes) {
      return `larger than ${(maxBytes / 1048576).toFixed(1)} MB (${(st.size / 1048576).toFixed(1)} MB)`;
    }
    return fs.readFileSync(fd);
  } catch (e) {
    return readFailure(e);
  } finally {
    fs.closeSync(fd);
  }
}

/** The real path of `abs` if it lies inside `realRoot` (after symlinks), else why not. */
function insideRoot(abs: string, realRoot: string): { real: string } | { reason: string } {
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    return { reason: code === 'ENOENT' ? 'dangling symbolic link or vanished (ENOENT)' : readFailure(e) };
  }
  const rel = path.relative(realRoot, real);
  if (rel === '' || rel === '..' || rel.startsWith('..' + path.sep) || path.isAbsolute(rel)) {
    return { reason: `resolves outside the training folder (to ${real})` };
  }
  return { real };
}

function gitignoreFor(folder: string, exclude: string[]): (rel: string) => boolean {
  const files = fg.sync('**/.gitignore', {
    cwd: folder,
    dot: true,
    ignore: exclude,
    followSymbolicLinks: false,
  });
  const rules: { dir: string; ig: Ignore }[] = files.map((f) => ({
    dir: path.posix.dirname(f) === '.' ? '' : path.posix.dirname(f) + '/',
    ig: ignore().add(readGitignore(path.join(folder, f))),
  }));
  return (rel) => rules.some(({ dir, ig }) => rel.startsWith(dir) && ig.ignores(rel.slice(dir.length)));
}

/** An unreadable .gitignore ignores nothing rather than stopping the run. */
function readGitignore(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** The files a corpus would read, before any is opened: sorted, filtered by globs and .gitignore. */
export interface CorpusListing {
  folder: string;
  /** The folder the relative paths start from (a single file's folder). */
  root: string;
  /** The real path of `root` when files must stay inside it (not for a single named file). */
  realRoot?: string;
  rels: string[];
  include: string[];
  exclude: string[];
  maxBytes: number;
  valFraction: number;
}

/** Lists the files `readCorpus` would read, without reading them (a shard writer streams over them). */
export function listCorpus(folder: string, opts: CorpusOptions = {}): CorpusListing {
  const include = opts.include?.length ? opts.include : DEFAULT_INCLUDE;
  const exclude = opts.exclude ?? DEFAULT_EXCLUDE;
  const maxBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const valFraction = opts.valFraction ?? 0.1;
  checkCorpusPatterns(include, 'include', opts.patternSource);
  checkCorpusPatterns(exclude, 'exclude', opts.patternSource);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(folder);
  } catch {
    throw new SeqLabError('E_NO_FOLDER', `Folder not found: ${folder}`, folder, 'Check the path.');
  }
  const single = stat.isFile();
  const root = single ? path.dirname(folder) : folder;
  let rels = single
    ? [path.basename(folder)]
    : fg.sync(include, {
        cwd: root,
        dot: true,
        ignore: exclude,
        onlyFiles: true,
        followSymbolicLinks: false,
      });
  if (!single && opts.respectGitignore !== false) {
    const ignored = gitignoreFor(root, exclude);
    rels = rels.filter((r) => !ignored(r));
  }
  rels.sort();
  // A single named file is the user's explicit choice; a folder's files must stay inside it.
  const realRoot = single ? undefined : fs.realpathSync(root);
  return { folder, root, realRoot, rels, include, exclude, maxBytes, valFraction };
}

/** One listed file's text (BOM removed), or why it was skipped. */
export function readCorpusText(listing: CorpusListing, rel: string): { text: string } | { reason: string } {
  let abs = path.join(listing.root, rel);
  if (listing.realRoot !== undefined) {
    const inside = insideRoot(abs, listing.realRoot);
    if ('reason' in inside) return inside;
    abs = inside.real;
  }
  const buf = readRegularFile(abs, listing.maxBytes);
  if (typeof buf === 'string') return { reason: buf };
  if (buf.includes(0)) return { reason: 'binary (contains NUL bytes)' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    return { reason: 'not valid UTF-8' };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) return { reason: 'empty' };
  return { text };
}

export function noTextError(listing: CorpusListing, skipped: SkippedFile[]): SeqLabError {
  const why = skipped.length
    ? `; ${skipped.length} file(s) skipped (e.g. ${skipped[0].path}: ${skipped[0].reason})`
    : '';
  return new SeqLabError(
    'E_NO_TEXT',
    `No usable text in ${listing.folder} (include: ${listing.include.join(', ')}; exclude: ${listing.exclude.join(', ')})${why}`,
    listing.folder,
    'Point SeqLab at a folder with text or code files, or widen the include globs.',
  );
}

/**
 * How the usable files split: with several, `held` names the validation files, chosen by a hash
 * of their path so that adding a file does not reshuffle the split of the others; with one file,
 * `tailSplit` holds out its tail instead. No validation fraction: everything trains.
 */
export function splitPlan(rels: string[], valFraction: number): { held: Set<string>; tailSplit: boolean } {
  if (rels.length === 1 || valFraction <= 0) return { held: new Set(), tailSplit: valFraction > 0 };
  const nVal = Math.max(1, Math.min(rels.length - 1, Math.round(rels.length * valFraction)));
  const byHash = [...rels].sort((a, b) => hashString(a) - hashString(b) || (a < b ? -1 : 1));
  return { held: new Set(byHash.slice(0, nVal)), tailSplit: false };
}

/** One file's text cut into its training head and validation tail, at a code-point boundary. */
export function tailCut(text: string, valFraction: number): [string, string] {
  let cut = Math.floor(text.length * (1 - valFraction));
  const c = text.charCodeAt(cut);
  if (c >= 0xdc00 && c < 0xe000) cut++;
  return [text.slice(0, cut), text.slice(cut)];
}

/**
 * Reads every text file under `folder` that the globs select, in a stable (sorted) order, and
 * splits it into training and validation text.
 */
export function readCorpus(folder: string, opts: CorpusOptions = {}): Corpus {
  const listing = listCorpus(folder, opts);
  const skipped: SkippedFile[] = [];
  const texts: { rel: string; text: string }[] = [];
  for (const rel of listing.rels) {
    const r = readCorpusText(listing, rel);
    if ('reason' in r) skipped.push({ path: rel, reason: r.reason });
    else texts.push({ rel, text: r.text });
  }
  if (texts.length === 0) throw noTextError(listing, skipped);

  const files: CorpusFile[] = [];
  const train: string[] = [];
  const val: string[] = [];
  const { held, tailSplit } = splitPlan(
    texts.map((t) => t.rel),
    listing.valFraction,
  );
  for (const { rel, text } of texts) {
    const split = held.has(rel) ? 'val' : 'train';
    if (tailSplit) {
      const [head, tail] = tailCut(text, listing.valFraction);
      train.push(head);
      val.push(tail);
    } else (split === 'val' ? val : train).push(text);
    files.push({ path: rel, chars: countChars(text), split });
  }
  return {
    folder,
    files,
    skipped,
    train,
    val,
    trainChars: train.reduce((a, t) => a + countChars(t), 0),
    valChars: val.reduce((a, t) => a + countChars(t), 0),
  };
}
