import * as fs from 'fs';
import * as path from 'path';
import { SeqLabError } from '../../errors';
import { hashString } from '../../rng';

export interface Pair {
  source: string;
  target: string;
}

/** What reading a pairs file skipped, counted, with the first line of each kind named. */
export interface PairsReport {
  /** The files read (one, or two aligned, or a folder's splits). */
  files: string[];
  lines: number;
  noTab: { count: number; firstLine: number };
  emptySide: { count: number; firstLine: number };
  badJson: { count: number; firstLine: number };
}

export interface PairSplits {
  train: Pair[];
  val: Pair[];
  test: Pair[];
  /** How validation was chosen: `hash` of the source line, or the given file(s). */
  valFrom: 'hash' | string;
  report: PairsReport;
}

export interface ReadPairsOptions {
  sourceKey?: string;
  targetKey?: string;
  /** Fraction of pairs held out for validation when no validation file is given. */
  valFraction?: number;
}

function emptyReport(files: string[]): PairsReport {
  return {
    files,
    lines: 0,
    noTab: { count: 0, firstLine: 0 },
    emptySide: { count: 0, firstLine: 0 },
    badJson: { count: 0, firstLine: 0 },
  };
}

function note(r: { count: number; firstLine: number }, line: number): void {
  if (r.count++ === 0) r.firstLine = line;
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new SeqLabError(
      'E_PAIRS',
      `Cannot read ${file}: ${(err as Error).message}`,
      file,
      'Give a tab-separated pairs file, a .jsonl file, or a folder of two line-aligned files.',
    );
  }
}

function lines(text: string): string[] {
  const out = text.split(/\r?\n/);
  if (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

function add(pairs: Pair[], r: PairsReport, line: number, source: string, target: string): void {
  const s = source.trim();
  const t = target.trim();
  if (!s || !t) note(r.emptySide, line);
  else pairs.push({ source: s, target: t });
}

/** `source<TAB>target` per line; further columns are ignored, lines without a tab skipped. */
function readTsv(file: string, r: PairsReport): Pair[] {
  const pairs: Pair[] = [];
  lines(readText(file)).forEach((l, i) => {
    r.lines++;
    if (!l.trim()) return;
    const cols = l.split('\t');
    if (cols.length < 2) return note(r.noTab, i + 1);
    add(pairs, r, i + 1, cols[0], cols[1]);
  });
  return pairs;
}

function readJsonl(file: string, r: PairsReport, o: ReadPairsOptions): Pair[] {
  const sk = o.sourceKey ?? 'source';
  const tk = o.targetKey ?? 'target';
  const pairs: Pair[] = [];
  lines(readText(file)).forEach((l, i) => {
    r.lines++;
    if (!l.trim()) return;
    let obj: unknown;
    try {
      obj = JSON.parse(l);
    } catch {
      return note(r.badJson, i + 1);
    }
    const rec = obj as Record<string, unknown>;
    if (!rec || typeof rec[sk] !== 'string' || typeof rec[tk] !== 'string') return note(r.badJson, i + 1);
    add(pairs, r, i + 1, rec[sk] as string, rec[tk] as string);
  });
  if (pairs.length === 0 && r.badJson.count > 0)
    throw new SeqLabError(
      'E_PAIRS',
      `No line of ${file} is a JSON object with string fields "${sk}" and "${tk}" (first bad line ${r.badJson.firstLine})`,
      file,
      'Name the fields with --source-key and --target-key.',
    );
  return pairs;
}

/** Two line-aligned files: line i of one translates line i of the other. */
export function readAligned(srcFile: string, tgtFile: string, r: PairsReport): Pair[] {
  const a = lines(readText(srcFile));
  const b = lines(readText(tgtFile));
  if (a.length !== b.length)
    throw new SeqLabError(
      'E_PAIRS',
      `The aligned files have different line counts: ${srcFile} has ${a.length} lines, ${tgtFile} has ${b.length}`,
      srcFile,
      'Line i of one file must translate line i of the other; fix the shorter file or remove the extra lines.',
    );
  const pairs: Pair[] = [];
  a.forEach((s, i) => {
    r.lines++;
    add(pairs, r, i + 1, s, b[i]);
  });
  return pairs;
}

const SPLIT_NAMES: Record<string, 'train' | 'val' | 'test'> = {
  train: 'train',
  training: 'train',
  valid: 'val',
  validation: 'val',
  val: 'val',
  dev: 'val',
  test: 'test',
};

/**
 * A folder's aligned files: `<stem>.<a>` + `<stem>.<b>` with the same stem (train.en + train.de,
 * x.src + x.tgt). Stems train/valid/dev/test give the splits; one stem is all training data.
 * The source extension is `src`, or the alphabetically first.
 */
function alignedInFolder(dir: string): { split: 'train' | 'val' | 'test'; src: string; tgt: string }[] {
  const byStem = new Map<string, string[]>();
  for (const f of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, f);
    if (!fs.statSync(full).isFile() || f.startsWith('.')) continue;
    const ext = path.extname(f);
    if (!ext) continue;
    const stem = f.slice(0, -ext.length);
    byStem.set(stem, [...(byStem.get(stem) ?? []), ext.slice(1)]);
  }
  const found = [...byStem].filter(([, exts]) => exts.length === 2);
  if (found.length === 0)
    throw new SeqLabError(
      'E_PAIRS',
      `Found no line-aligned pair of files in ${dir} (two files with the same name and different extensions, such as train.en and train.de)`,
      dir,
      'Put the two sides in files named <name>.<source language> and <name>.<target language>, or give a .tsv or .jsonl file.',
    );
  return found.map(([stem, exts]) => {
    const [s, t] = exts.includes('src') ? ['src', exts.find((e) => e !== 'src')!] : exts;
    return {
      split: SPLIT_NAMES[stem.toLowerCase()] ?? 'train',
      src: path.join(dir, `${stem}.${s}`),
      tgt: path.join(dir, `${stem}.${t}`),
    };
  });
}

/** Reads one file of pairs: .jsonl as JSON lines, anything else as tab-separated. */
export function readPairsFile(file: string, r: PairsReport, o: ReadPairsOptions = {}): Pair[] {
  return /\.jsonl$/i.test(file) ? readJsonl(file, r, o) : readTsv(file, r);
}

/** Whether a source line goes to validation: by its hash, so a pair stays put across runs. */
export function heldOut(source: string, fraction: number): boolean {
  return (hashString(source) >>> 0) / 2 ** 32 < fraction;
}

/**
 * Reads pairs from a file (TSV or JSONL) or a folder of line-aligned files, and splits them:
 * given validation/test files where there are, else by the hash of the source line.
 */
export function readPairs(input: string, o: ReadPairsOptions = {}): PairSplits {
  const where = path.resolve(input);
  if (!fs.existsSync(where))
    throw new SeqLabError('E_PAIRS', `Pairs not found: ${where}`, where, 'Check the path.');
  const out: PairSplits = { train: [], val: [], test: [], valFrom: 'hash', report: emptyReport([]) };
  const r = out.report;
  if (fs.statSync(where).isDirectory()) {
    const given: string[] = [];
    for (const f of alignedInFolder(where)) {
      r.files.push(f.src, f.tgt);
      out[f.split].push(...readAligned(f.src, f.tgt, r));
      if (f.split === 'val') given.push(path.basename(f.src), path.basename(f.tgt));
    }
    if (given.length) out.valFrom = given.join(' + ');
  } else {
    r.files.push(where);
    out.train = readPairsFile(where, r, o);
  }
  if (out.train.length === 0)
    throw new SeqLabError(
      'E_PAIRS',
      `No training pairs in ${where}${r.noTab.count ? ` (${r.noTab.count} lines without a tab, first at line ${r.noTab.firstLine})` : ''}`,
      where,
      'Write one pair per line as source<TAB>target, or give a .jsonl file with "source" and "target".',
    );
  if (out.valFrom === 'hash') {
    const f = o.valFraction ?? 0.1;
    const all = out.train;
    out.train = all.filter((p) => !heldOut(p.source, f));
    out.val = all.filter((p) => heldOut(p.source, f));
    // A tiny file can hash everything one way: keep at least one pair on each side.
    if (out.val.length === 0 && all.length > 1 && f > 0) out.val = [out.train.pop()!];
    if (out.train.length === 0) out.train = [out.val.pop()!];
  }
  return out;
}

/** One line per kind of skipped line, for the run's log and the preview. */
export function describeSkips(r: PairsReport): string[] {
  const out: string[] = [];
  const f = r.files.length === 1 ? r.files[0] : r.files.join(', ');
  if (r.noTab.count)
    out.push(`skipped ${r.noTab.count} line(s) without a tab in ${f} (first: line ${r.noTab.firstLine})`);
  if (r.emptySide.count)
    out.push(
      `skipped ${r.emptySide.count} pair(s) with an empty side in ${f} (first: line ${r.emptySide.firstLine})`,
    );
  if (r.badJson.count)
    out.push(
      `skipped ${r.badJson.count} line(s) that are not a JSON object with the source and target keys in ${f} (first: line ${r.badJson.firstLine})`,
    );
  return out;
}
