// A run's headline numbers straight from the bytes of its metrics.jsonl, without decoding or parsing
// every line: the runs table needs them for every run at once, and a long run is mostly step lines
// (10,000 steps: 2 MB), of which the summary reads only the last. The result equals
// summarizeEvents(parseMetrics(text).events) exactly (the tests compare the two).
import * as fs from 'fs';
import { MetricsLine, parseMetrics } from './metrics';
import { evalMetrics, metricGoal, RunSummary, summarizeEvents } from './summary';

/** How the writers (both engines) begin a line: the event's type first, compact. */
const TYPE_AT = Buffer.from('{"type":"');
const STEP = Buffer.from('{"type":"step"');
/** Line kinds the summary reads in full wherever they are: few per run. */
const READ_WHOLE = [Buffer.from('{"type":"eval"'), Buffer.from('{"type":"start"')];

function startsWith(buf: Buffer, at: number, end: number, prefix: Buffer): boolean {
  return end - at >= prefix.length && buf.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0;
}

/** The event on a line, or undefined where parseMetrics would skip it (blank, not JSON, not an event). */
function eventAt(buf: Buffer, at: number, end: number): MetricsLine | undefined {
  const raw = buf.toString('utf8', at, end);
  if (!raw.trim()) return undefined;
  try {
    const e = JSON.parse(raw) as MetricsLine;
    return e && typeof e === 'object' && typeof e.type === 'string' ? e : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The summary of metrics.jsonl bytes. Start and eval lines, and any line not written in the
 * engines' compact form, are parsed; other lines are only located, and of those the first and last
 * events (the wall time) and the last step are parsed. A resumed run (a `start` after other lines,
 * whose abandoned steps parseMetrics drops) is read in full.
 */
export function summarizeMetricsBytes(buf: Buffer): RunSummary {
  // Line spans [starts[i], ends[i]) and, per line, its event once parsed (null: skipped by the parse).
  const starts: number[] = [];
  const ends: number[] = [];
  const parsed = new Map<number, MetricsLine | null>();
  const stepLines: number[] = [];
  let parameters: number | null = null;
  const final: Record<string, number> = {};
  const best: Record<string, number> = {};
  const parse = (i: number): MetricsLine | null => {
    let e = parsed.get(i);
    if (e === undefined) parsed.set(i, (e = eventAt(buf, starts[i], ends[i]) ?? null));
    return e;
  };
  for (let at = 0; at < buf.length;) {
    let end = buf.indexOf(0x0a, at);
    if (end < 0) end = buf.length;
    const i = starts.length;
    starts.push(at);
    ends.push(end);
    at = end + 1;
    const compact = startsWith(buf, starts[i], end, TYPE_AT);
    if (compact && startsWith(buf, starts[i], end, STEP)) {
      stepLines.push(i);
      continue;
    }
    if (compact && !READ_WHOLE.some((p) => startsWith(buf, starts[i], end, p))) continue;
    const e = parse(i);
    if (!e) continue;
    if (e.type === 'start') {
      if (typeof e.resumedFromStep === 'number' && i > 0)
        return summarizeEvents(parseMetrics(buf.toString('utf8')).events);
      parameters = e.parameters;
    } else if (e.type === 'step') stepLines.push(i);
    else if (e.type === 'eval') {
      // As summarizeEvents: the last evaluation's fields, and each field's best.
      const m = evalMetrics(e);
      for (const k of Object.keys(final)) delete final[k];
      Object.assign(final, m);
      for (const [k, v] of Object.entries(m))
        if (!(k in best) || (metricGoal(k) === 'min' ? v < best[k] : v > best[k])) best[k] = v;
    }
  }
  let first: MetricsLine | null = null;
  for (let i = 0; i < starts.length && !first; i++) first = parse(i);
  let last: MetricsLine | null = null;
  for (let i = starts.length - 1; i >= 0 && !last; i--) last = parse(i);
  let step: MetricsLine | null = null;
  for (let k = stepLines.length - 1; k >= 0 && step?.type !== 'step'; k--) step = parse(stepLines[k]);
  const s = step?.type === 'step' ? step : undefined;
  const trainSeconds = s ? s.elapsedSeconds : 0;
  const tokens = s ? s.tokensSeen : 0;
  return {
    steps: s ? s.step : 0,
    tokens,
    wallSeconds: first && last ? (last.time - first.time) / 1000 : null,
    tokensPerSec: trainSeconds > 0 ? tokens / trainSeconds : null,
    parameters,
    final,
    best,
  };
}

/** The summary of a run's metrics.jsonl (see summarizeMetricsBytes); undefined when it cannot be read. */
export function summarizeMetricsFile(file: string): RunSummary | undefined {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  return summarizeMetricsBytes(buf);
}
