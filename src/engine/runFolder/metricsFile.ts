import * as fs from 'fs';
import { MetricsLine, MetricsRead, parseMetrics } from './metrics';

/** Reads a metrics.jsonl file tolerantly; a missing or unreadable file reads as empty. */
export function readMetricsFile(file: string): MetricsRead {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { events: [], skipped: [] };
  }
  return parseMetrics(text);
}

/** Appends one event as one line. */
export function appendMetric(file: string, e: MetricsLine): void {
  fs.appendFileSync(file, JSON.stringify(e) + '\n');
}
