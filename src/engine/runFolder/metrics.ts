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
 *
 * A resume appends a `start` event with `resumedFromStep` R, then steps R+1, R+2, …; a crash after
 * R had already logged some of those. The resumed run's history wins: at each such `start`, the
 * earlier events past step R (the abandoned ones) are dropped, so every series stays monotonic in
 * step and holds no duplicates.
 */
export function parseMetrics(text: string): MetricsRead {
  const events: MetricsLine[] = [];
  const skipped: SkippedLine[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    if (!raw.trim()) return;
    try {
      const e = JSON.parse(raw) as MetricsLine;
      if (e && typeof e === 'object' && typeof e.type === 'string') {
        if (e.type === 'start' && typeof e.resumedFromStep === 'number') dropAfter(events, e.resumedFromStep);
        events.push(e);
      } else skipped.push({ line: i + 1, text: raw, reason: 'not an event object' });
    } catch (err) {
      skipped.push({ line: i + 1, text: raw, reason: (err as Error).message });
    }
  });
  return { events, skipped };
}

/** Removes, in place, the events with a step greater than `step`. */
function dropAfter(events: MetricsLine[], step: number): void {
  let w = 0;
  for (const e of events) {
    const s = (e as { step?: unknown }).step;
    if (typeof s === 'number' && s > step) continue;
    events[w++] = e;
  }
  events.length = w;
}
