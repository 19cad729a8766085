import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'csv-parse/sync';
import { SeqLabError } from '../../errors';

/** A CSV or TSV file read as text cells: its header and its rows (line numbers kept for messages). */
export interface Table {
  file: string;
  header: string[];
  rows: string[][];
  /** The file's line number of each row (1-based; the header is line 1). */
  lines: number[];
}

/** Cells that mean "no value" rather than a malformed one. */
const MISSING = new Set(['', 'na', 'nan', 'n/a', 'null', 'none', '?', '-', '.']);

export function isMissingCell(cell: string): boolean {
  return MISSING.has(cell.trim().toLowerCase());
}

/** A numeric cell, NaN when missing, undefined when it is not a number at all. */
export function numericCell(cell: string): number | undefined {
  if (isMissingCell(cell)) return NaN;
  const n = Number(cell.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** Tabs in the header line mean TSV whatever the extension; otherwise `.tsv` does, else commas. */
function delimiterOf(file: string, text: string): string {
  const first = text.slice(0, text.indexOf('\n') >>> 0);
  if (first.includes('\t')) return '\t';
  if (path.extname(file).toLowerCase() === '.tsv') return '\t';
  if (!first.includes(',') && first.includes(';')) return ';';
  return ',';
}

/** Reads a CSV/TSV file with a header row. */
export function readTable(file: string): Table {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new SeqLabError(
      'E_DATA',
      `Cannot read ${file}: ${(err as Error).message}`,
      file,
      'Give the path of a CSV or TSV file.',
    );
  }
  return parseTable(file, text);
}

export function parseTable(file: string, text: string): Table {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), {
      delimiter: delimiterOf(file, text),
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      info: true,
      comment: '#',
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    throw new SeqLabError(
      'E_DATA',
      `${file} is not a readable CSV/TSV file: ${(err as Error).message}`,
      file,
      'Check the quoting on the line named, or save the sheet as CSV again.',
    );
  }
  if (records.length === 0)
    throw new SeqLabError('E_DATA', `${file} is empty`, file, 'Give a CSV with a header row and data rows.');
  const header = records[0].record.map((h, i) => h || `column ${i + 1}`);
  return {
    file,
    header,
    rows: records.slice(1).map((r) => r.record),
    lines: records.slice(1).map((r) => r.info.lines),
  };
}

/** The index of `name` in the header, or an error listing the columns there are. */
export function columnIndex(t: Table, name: string, flag: string): number {
  const i = t.header.indexOf(name);
  if (i >= 0) return i;
  const lower = t.header.findIndex((h) => h.toLowerCase() === name.toLowerCase());
  if (lower >= 0) return lower;
  throw new SeqLabError(
    'E_DATA',
    `${t.file} has no column "${name}"`,
    flag,
    `Choose one of: ${t.header.join(', ')}.`,
  );
}

/** Summary of each column for a preview (VS Code's column picker): numeric or not, and a sample. */
export interface ColumnPreview {
  name: string;
  numeric: boolean;
  missing: number;
  sample: string[];
}

export function previewColumns(t: Table): ColumnPreview[] {
  return t.header.map((name, c) => {
    const cells = t.rows.map((r) => r[c] ?? '');
    const values = cells.map(numericCell);
    return {
      name,
      numeric:
        values.filter((v) => v !== undefined && !Number.isNaN(v)).length > 0 &&
        values.every((v) => v !== undefined),
      missing: values.filter((v) => v !== undefined && Number.isNaN(v)).length,
      sample: cells.slice(0, 3),
    };
  });
}
