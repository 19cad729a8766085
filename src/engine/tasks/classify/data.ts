import * as fs from 'fs';
import * as path from 'path';
import fg from 'fast-glob';
import { parse } from 'csv-parse/sync';
import type { SkippedFile } from '../../corpus';
import { SeqLabError } from '../../errors';
import { hashString } from '../../rng';

/** One labelled text; `source` says where it came from (a file, or a table's line). */
export interface Example {
  text: string;
  label: string;
  source: string;
}

export interface LabelledData {
  /** Label names in a fixed (sorted) order: a label's index is its class id. */
  labels: string[];
  train: Example[];
  val: Example[];
  /** How the split was made, for the run's log. */
  split: 'folders' | 'hash';
  /** 'folder' (a folder per label) or the table's format. */
  format: 'folder' | 'csv' | 'tsv' | 'jsonl';
  skipped: SkippedFile[];
  /** What the user should know but need not act on (a label with one example). */
  warnings: string[];
}

export interface ReadLabelledOptions {
  /** Fraction of each label held out when there are no train/ and test/ (or val/) folders. */
  valFraction?: number;
  textColumn?: string;
  labelColumn?: string;
  maxFileBytes?: number;
  /** Fewest labels accepted (training needs 2; evaluating on examples of one label is fine). */
  minLabels?: number;
}

/** Column names recognised without a flag, in order of preference (compared case-insensitively). */
export const TEXT_COLUMNS = [
  'text',
  'sentence',
  'review',
  'content',
  'document',
  'body',
  'comment',
  'tweet',
  'message',
];
export const LABEL_COLUMNS = ['label', 'sentiment', 'class', 'category', 'target', 'labels', 'y'];

const TABLE_EXTS: Record<string, LabelledData['format']> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.jsonl': 'jsonl',
};

/**
 * Reads labelled texts from a folder per label (`<folder>/<label>/**`, optionally under train/ and
 * test/ or val/) or from a .csv, .tsv or .jsonl table with a text and a label column.
 */
export function readLabelledData(source: string, opts: ReadLabelledOptions = {}): LabelledData {
  const abs = path.resolve(source);
  if (!fs.existsSync(abs))
    throw new SeqLabError(
      'E_DATA',
      `Labelled data not found: ${abs}`,
      abs,
      'Give a folder per label or a .csv/.tsv/.jsonl file.',
    );
  const data = fs.statSync(abs).isDirectory() ? readFolder(abs, opts) : readTable(abs, opts);
  return checked(data, abs, opts.minLabels ?? 2);
}

function checked(d: LabelledData, where: string, minLabels: number): LabelledData {
  const all = [...d.train, ...d.val];
  const counts = countLabels(all);
  if (all.length === 0)
    throw new SeqLabError(
      'E_DATA',
      `No labelled examples in ${where}${d.skipped.length ? ` (${d.skipped.length} files skipped as empty or binary)` : ''}`,
      where,
      'Put one text file per example under <folder>/<label>/, or give a table with a text and a label column.',
    );
  if (d.labels.length < minLabels)
    throw new SeqLabError(
      'E_DATA',
      `Only one label (${JSON.stringify(d.labels[0])}) in ${where}: a classifier needs at least two`,
      where,
      'Add examples of at least one more label (another sub-folder, or other values in the label column).',
    );
  for (const l of d.labels)
    if ((counts.get(l) ?? 0) === 1)
      d.warnings.push(
        `label ${JSON.stringify(l)} has a single example; it cannot be learned or measured reliably`,
      );
  if (d.train.length === 0)
    throw new SeqLabError(
      'E_DATA',
      `No training examples in ${where}`,
      where,
      'Add examples to the train split.',
    );
  return d;
}

export function countLabels(xs: readonly Example[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x.label, (m.get(x.label) ?? 0) + 1);
  return m;
}

function subdirs(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** The text of one example file, or why it is skipped (empty, binary, too large). */
function readExampleFile(file: string, maxBytes: number): { text: string } | { reason: string } {
  const size = fs.statSync(file).size;
  if (size > maxBytes) return { reason: `larger than ${maxBytes} bytes` };
  const buf = fs.readFileSync(file);
  if (buf.subarray(0, 8192).includes(0)) return { reason: 'binary (contains NUL bytes)' };
  const text = buf.toString('utf8');
  if (text.trim() === '') return { reason: 'empty' };
  return { text };
}

function readLabelFolders(
  root: string,
  labels: string[],
  maxBytes: number,
  skipped: SkippedFile[],
): Example[] {
  const out: Example[] = [];
  for (const label of labels) {
    const files = fg.sync('**/*', { cwd: path.join(root, label), onlyFiles: true, dot: false }).sort();
    for (const rel of files) {
      const file = path.join(root, label, rel);
      const r = readExampleFile(file, maxBytes);
      if ('reason' in r) skipped.push({ path: file, reason: r.reason });
      else out.push({ text: r.text, label, source: file });
    }
  }
  return out;
}

function readFolder(root: string, opts: ReadLabelledOptions): LabelledData {
  const maxBytes = opts.maxFileBytes ?? 10 * 1024 * 1024;
  const skipped: SkippedFile[] = [];
  const top = subdirs(root);
  const valName = top.includes('test')
    ? 'test'
    : top.includes('val')
      ? 'val'
      : top.includes('validation')
        ? 'validation'
        : undefined;
  if (top.includes('train') && valName) {
    const labels = subdirs(path.join(root, 'train'));
    const valLabels = subdirs(path.join(root, valName));
    const extra = valLabels.filter((l) => !labels.includes(l));
    if (extra.length)
      throw new SeqLabError(
        'E_DATA',
        `${valName}/ has labels that train/ lacks: ${extra.join(', ')}`,
        path.join(root, valName),
        `Give train/ and ${valName}/ the same label folders.`,
      );
    const train = readLabelFolders(path.join(root, 'train'), labels, maxBytes, skipped);
    const val = readLabelFolders(path.join(root, valName), valLabels, maxBytes, skipped);
    return {
      labels: usedLabels(labels, train),
      train,
      val,
      split: 'folders',
      format: 'folder',
      skipped,
      warnings: [],
    };
  }
  const all = readLabelFolders(root, top, maxBytes, skipped);
  const { train, val } = hashSplit(all, opts.valFraction ?? 0.1, (x) => path.relative(root, x.source));
  return { labels: usedLabels(top, all), train, val, split: 'hash', format: 'folder', skipped, warnings: [] };
}

/** Labels that have at least one example (an empty label folder is not a class). */
function usedLabels(candidates: string[], xs: Example[]): string[] {
  const have = new Set(xs.map((x) => x.label));
  return candidates.filter((l) => have.has(l)).sort();
}

/**
 * Holds out about `fraction` of each label, chosen by a hash of each example's key, so the split is
 * stratified and stable when files are added (an example never moves between splits).
 */
export function hashSplit(
  xs: Example[],
  fraction: number,
  key: (x: Example) => string,
): { train: Example[]; val: Example[] } {
  const byLabel = new Map<string, Example[]>();
  for (const x of xs) (byLabel.get(x.label) ?? byLabel.set(x.label, []).get(x.label)!).push(x);
  const train: Example[] = [];
  const val: Example[] = [];
  for (const group of byLabel.values()) {
    const ranked = group.map((x) => ({ x, h: hashString(key(x)) })).sort((a, b) => a.h - b.h);
    const nVal = group.length < 2 || fraction <= 0 ? 0 : Math.max(1, Math.round(group.length * fraction));
    ranked.forEach((r, i) => (i < nVal ? val : train).push(r.x));
  }
  return { train, val };
}

/** The column named by a flag, or the first recognised name; else an error naming the columns found. */
function pickColumn(
  columns: string[],
  given: string | undefined,
  known: string[],
  what: 'text' | 'label',
  file: string,
): string {
  const flag = what === 'text' ? '--text-column' : '--label-column';
  if (given !== undefined) {
    if (columns.includes(given)) return given;
    throw new SeqLabError(
      'E_DATA',
      `${file} has no column ${JSON.stringify(given)} (${flag}); its columns are ${columns.map((c) => JSON.stringify(c)).join(', ')}`,
      flag,
      `Give ${flag} one of those names.`,
    );
  }
  for (const k of known) {
    const c = columns.find((x) => x.trim().toLowerCase() === k);
    if (c !== undefined) return c;
  }
  throw new SeqLabError(
    'E_DATA',
    `${file} has no recognisable ${what} column; its columns are ${columns.map((c) => JSON.stringify(c)).join(', ') || '(none)'}`,
    file,
    `Name it with ${flag} <name> (recognised names: ${known.join(', ')}).`,
  );
}

type Row = { values: Record<string, unknown>; line: number };

function readCsvRows(file: string, delimiter: string): { columns: string[]; rows: Row[] } {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(fs.readFileSync(file, 'utf8'), {
      columns: true,
      delimiter,
      bom: true,
      skip_empty_lines: true,
      info: true,
      relax_quotes: delimiter === '\t',
    }) as typeof records;
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new SeqLabError(
      'E_DATA',
      `${file}${e.lines !== undefined ? ` line ${e.lines}` : ''}: malformed ${delimiter === '\t' ? 'TSV' : 'CSV'} row (${e.message})`,
      `${file}${e.lines !== undefined ? `:${e.lines}` : ''}`,
      'Fix that row (quote fields that hold the separator, give every row as many fields as the header).',
    );
  }
  const columns = records.length ? Object.keys(records[0].record) : headerOf(file, delimiter);
  return { columns, rows: records.map((r) => ({ values: r.record, line: r.info.lines })) };
}

function headerOf(file: string, delimiter: string): string[] {
  const first = fs.readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '';
  return first ? first.split(delimiter) : [];
}

function readJsonlRows(file: string): { columns: string[]; rows: Row[] } {
  const rows: Row[] = [];
  const columns = new Set<string>();
  fs.readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch (err) {
        throw new SeqLabError(
          'E_DATA',
          `${file} line ${i + 1}: not valid JSON (${(err as Error).message})`,
          `${file}:${i + 1}`,
          'Write one JSON object per line.',
        );
      }
      if (!v || typeof v !== 'object' || Array.isArray(v))
        throw new SeqLabError(
          'E_DATA',
          `${file} line ${i + 1}: not a JSON object`,
          `${file}:${i + 1}`,
          'Write one JSON object per line, e.g. {"text": "…", "label": "pos"}.',
        );
      for (const k of Object.keys(v)) columns.add(k);
      rows.push({ values: v as Record<string, unknown>, line: i + 1 });
    });
  return { columns: [...columns], rows };
}

function readTable(file: string, opts: ReadLabelledOptions): LabelledData {
  const format = TABLE_EXTS[path.extname(file).toLowerCase()];
  if (!format)
    throw new SeqLabError(
      'E_DATA',
      `${file} is neither a folder nor a .csv, .tsv or .jsonl table`,
      file,
      'Give a folder with one sub-folder per label, or a table with a text and a label column.',
    );
  const { columns, rows } =
    format === 'jsonl' ? readJsonlRows(file) : readCsvRows(file, format === 'tsv' ? '\t' : ',');
  const textCol = pickColumn(columns, opts.textColumn, TEXT_COLUMNS, 'text', file);
  const labelCol = pickColumn(columns, opts.labelColumn, LABEL_COLUMNS, 'label', file);
  const skipped: SkippedFile[] = [];
  const all: Example[] = [];
  for (const r of rows) {
    const text = r.values[textCol];
    const label = r.values[labelCol];
    const where = `${file}:${r.line}`;
    if (typeof text !== 'string' || text.trim() === '')
      skipped.push({ path: where, reason: `empty ${textCol}` });
    else if (
      (typeof label !== 'string' && typeof label !== 'number' && typeof label !== 'boolean') ||
      String(label).trim() === ''
    )
      skipped.push({ path: where, reason: `no ${labelCol}` });
    else all.push({ text, label: String(label).trim(), source: where });
  }
  const { train, val } = hashSplit(all, opts.valFraction ?? 0.1, (x) => `${x.source}\n${x.text}`);
  const labels = [...new Set(all.map((x) => x.label))].sort();
  return { labels, train, val, split: 'hash', format, skipped, warnings: [] };
}
