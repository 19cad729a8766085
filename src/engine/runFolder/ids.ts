import * as crypto from 'crypto';

/** The parts of a run id `YYYYMMDD-HHMMSS-<tag>-<hex>` (a compare cell adds `-<cell>`). */
export interface RunIdParts {
  /** YYYYMMDD, local time. */
  date: string;
  /** HHMMSS, local time. */
  time: string;
  /** The cell (`lstm`), `compare`, or for a compare cell `compare-<hex>-<cell>`'s `compare`. */
  tag: string;
  /** What follows the tag: the random suffix, and a compare cell's `-<cell>`. */
  rest: string;
}

/**
 * A new id: local date and time (so that ids sort by age) plus a random suffix (so that two runs
 * started in one second differ). `tag` is the cell, or `compare` for an experiment.
 */
export function newRunId(tag: string, at: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const date = `${at.getFullYear()}${p(at.getMonth() + 1)}${p(at.getDate())}`;
  const time = `${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
  return `${date}-${time}-${tag}-${crypto.randomBytes(2).toString('hex')}`;
}

/** The id of one cell's run inside a compare-cells experiment. */
export function compareCellRunId(compareId: string, cell: string): string {
  return `${compareId}-${cell}`;
}

/** Splits an id written by `newRunId`; undefined for a folder someone named by hand. */
export function parseRunId(id: string): RunIdParts | undefined {
  const m = /^(\d{8})-(\d{6})-([^-]+)-(.+)$/.exec(id);
  return m ? { date: m[1], time: m[2], tag: m[3], rest: m[4] } : undefined;
}

/** A short label for a run: its start time `HHMMSS`, or the whole id when it has none. */
export function runTimeLabel(id: string): string {
  return parseRunId(id)?.time ?? id;
}
