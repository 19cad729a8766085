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

function gitignoreFor(folder: string, exclude: string[]): (rel: string) => boolean {
  const files = fg.sync('**/.gitignore', {
    cwd: folder,
    dot: true,
    ignore: exclude,
    followSymbolicLinks: false,
  });
  const rules: { dir: string; ig: Ignore }[] = files.map((f) => ({
    dir: path.posix.dirname(f) === '.' ? '' : path.posix.dirname(f) + '/',
    ig: ignore().add(fs.readFileSync(path.join(folder, f), 'utf8')),
  }));
  return (rel) => rules.some(({ dir, ig }) => rel.startsWith(dir) && ig.ignores(rel.slice(dir.length)));
}

/**
 * Reads every text file under `folder` that the globs select, in a stable (sorted) order, and
 * splits it into training and validation text. Files are held out by a hash of their path, so
 * adding a file does not reshuffle the split of the others.
 */
export function readCorpus(folder: string, opts: CorpusOptions = {}): Corpus {
  const include = opts.include?.length ? opts.include : DEFAULT_INCLUDE;
  const exclude = opts.exclude ?? DEFAULT_EXCLUDE;
  const maxBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const valFraction = opts.valFraction ?? 0.1;
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

  const decoder = new TextDecoder('utf-8', { fatal: true });
  const skipped: SkippedFile[] = [];
  const texts: { rel: string; text: string }[] = [];
  for (const rel of rels) {
    const abs = path.join(root, rel);
    const size = fs.statSync(abs).size;
    if (size > maxBytes) {
      skipped.push({
        path: rel,
        reason: `larger than ${(maxBytes / 1048576).toFixed(1)} MB (${(size / 1048576).toFixed(1)} MB)`,
      });
      continue;
    }
    const buf = fs.readFileSync(abs);
    if (buf.includes(0)) {
      skipped.push({ path: rel, reason: 'binary (contains NUL bytes)' });
      continue;
    }
    let text: string;
    try {
      text = decoder.decode(buf);
    } catch {
      skipped.push({ path: rel, reason: 'not valid UTF-8' });
      continue;
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.length === 0) {
      skipped.push({ path: rel, reason: 'empty' });
      continue;
    }
    texts.push({ rel, text });
  }
  if (texts.length === 0) {
    const why = skipped.length
      ? `; ${skipped.length} file(s) skipped (e.g. ${skipped[0].path}: ${skipped[0].reason})`
      : '';
    throw new SeqLabError(
      'E_NO_TEXT',
      `No usable text in ${folder} (include: ${include.join(', ')}; exclude: ${exclude.join(', ')})${why}`,
      folder,
      'Point SeqLab at a folder with text or code files, or widen the include globs.',
    );
  }

  const files: CorpusFile[] = [];
  const train: string[] = [];
  const val: string[] = [];
  if (texts.length === 1 || valFraction <= 0) {
    for (const { rel, text } of texts) {
      if (valFraction <= 0) {
        train.push(text);
        files.push({ path: rel, chars: countChars(text), split: 'train' });
        continue;
      }
      // One file: hold out its tail, cut at a code-point boundary.
      let cut = Math.floor(text.length * (1 - valFraction));
      const c = text.charCodeAt(cut);
      if (c >= 0xdc00 && c < 0xe000) cut++;
      train.push(text.slice(0, cut));
      val.push(text.slice(cut));
      files.push({ path: rel, chars: countChars(text), split: 'train' });
    }
  } else {
    const nVal = Math.max(1, Math.min(texts.length - 1, Math.round(texts.length * valFraction)));
    const byHash = texts.map((t) => t.rel).sort((a, b) => hashString(a) - hashString(b) || (a < b ? -1 : 1));
    const held = new Set(byHash.slice(0, nVal));
    for (const { rel, text } of texts) {
      const split = held.has(rel) ? 'val' : 'train';
      (split === 'val' ? val : train).push(text);
      files.push({ path: rel, chars: countChars(text), split });
    }
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
