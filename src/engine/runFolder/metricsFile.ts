import { isAscii } from 'buffer';
import * as fs from 'fs';
import { SeqLabError } from '../errors';
import { MetricsLine, MetricsRead, parseMetrics } from './metrics';

/**
 * A metrics.jsonl file's text. Nearly always ASCII (JSON with numbers): then read as latin1, which
 * gives the same string about three times faster than UTF-8 decoding, for the dashboard's first
 * read of many long runs.
 */
export function readMetricsText(file: string): string {
  const buf = fs.readFileSync(file);
  return typeof isAscii === 'function' && isAscii(buf) ? buf.toString('latin1') : buf.toString('utf8');
}

/** Reads a metrics.jsonl file tolerantly; a missing or unreadable file reads as empty. */
export function readMetricsFile(file: string): MetricsRead {
  let text: string;
  try {
    text = readMetricsText(file);
  } catch {
    return { events: [], skipped: [] };
  }
  return parseMetrics(text);
}

/**
 * Cuts a torn last line (a run killed mid-write) off the end of the file, so the next line
 * appended starts on a line of its own instead of being glued to the fragment.
 */
function repairTornEnd(fd: number): void {
  const size = fs.fstatSync(fd).size;
  if (size === 0) return;
  const last = Buffer.alloc(1);
  fs.readSync(fd, last, 0, 1, size - 1);
  if (last[0] === 0x0a) return;
  // Torn: rare, so reading the file back to find its last complete line is fine.
  const text = fs.readFileSync(fd);
  fs.ftruncateSync(fd, text.lastIndexOf(0x0a) + 1);
}

/** Appends one event as one line; an I/O error becomes a SeqLabError naming the file. */
export function appendMetric(file: string, e: MetricsLine): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'a+');
    repairTornEnd(fd);
    fs.writeSync(fd, JSON.stringify(e) + '\n');
  } catch (err) {
    const x = err as NodeJS.ErrnoException;
    throw new SeqLabError(
      'E_METRICS',
      `Could not append to ${file}: ${x.message}`,
      file,
      x.code === 'ENOSPC'
        ? 'The disk is full: free some space, then resume the run (seqlab resume).'
        : 'Check that the run folder is writable (permissions, disk), then resume the run (seqlab resume).',
    );
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
