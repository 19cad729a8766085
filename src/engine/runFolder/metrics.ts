// No Node imports here: the dashboard's webview bundles this parser too.
import type { TrainEvent } from '../events';

/** One line of metrics.jsonl: every event the trainer reports, in order. */
export type MetricsLine = TrainEvent;

export interface SkippedLine {
  /** 1-based line number in metrics.jsonl. */
  line: number;
  text: string;
  reason: string;
}

export interface MetricsRead {
  events: MetricsLine[];
  /** Lines that are not an event: a torn last line (a run killed mid-write), or damage. */
  skipped: SkippedLine[];
}

/**
 * Parses metrics.jsonl text line by line: a line that is not a JSON event is skipped and reported,
 * never the whole file, so a run killed mid-write still shows everything it finished.
 */
export function parseMetrics(text: string): MetricsRead {
  const events: MetricsLine[] = [];
  const skipped: SkippedLine[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    if (!raw.trim()) return;
    try {
      const e = JSON.parse(raw) as MetricsLine;
      if (e && typeof e === 'object' && typeof e.type === 'string') events.push(e);
      else skipped.push({ line: i + 1, text: raw, reason: 'not an event object' });
    } catch (err) {
      skipped.push({ line: i + 1, text: raw, reason: (err as Error).message });
    }
  });
  return { events, skipped };
}
