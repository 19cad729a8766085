// A run's headline numbers straight from the bytes of its metrics.jsonl, without decoding or parsing
// every line: the runs table needs them for every run at once, and a long run is mostly step lines
// (10,000 steps: 2 MB), of which the summary reads only the last. The result equals
// summarizeEvents(parseMetrics(text).events) exactly (the tests compare the two).
import * as fs from 'fs';
import { MetricsLine, parseMetrics } from './metrics';
import { addEvaluation, RunSummary, summarizeEvents, summaryOf } from './summary';

/** How the writers (both engines) begin a line: the event's type first, compact. */
const TYPE_AT = Buffer.from('{"type":"');
const STEP = Buffer.from('step"');
/** Line kinds the summary reads in full wherever they are: few per run. */
const READ_WHOLE = [Buffer.from('eval"'), Buffer.from('start"')];

/** Whether `prefix` is at `at` (before `end`); byte by byte in JS, cheaper than a native call per line. */
function hasAt(buf: Buffer, at: number, end: number, prefix: Buffer): boolean {
  if (end - at < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (buf[at + k] !== prefix[k]) return false;
  return true;
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
  let parameters: number | null = null;
  const final: Record<string, number> = {};
  const best: Record<string, number> = {};
  // Where the step lines start and end; the last one that parses is the run's last step.
  const stepAt: number[] = [];
  let lines = 0;
  for (let at = 0; at < buf.length; lines++) {
    let end = buf.indexOf(0x0a, at);
    if (end < 0) end = buf.length;
    const from = at;
    at = end + 1;
    const compact = hasAt(buf, from, end, TYPE_AT);
    const kind = from + TYPE_AT.length;
    if (compact && hasAt(buf, kind, end, STEP)) {
      stepAt.push(from, end);
      continue;
    }
    if (compact && !READ_WHOLE.some((p) => hasAt(buf, kind, end, p))) continue;
    const e = eventAt(buf, from, end);
    if (!e) continue;
    if (e.type === 'start') {
      if (typeof e.resumedFromStep === 'number' && lines > 0)
        return summarizeEvents(parseMetrics(buf.toString('utf8')).events);
      parameters = e.parameters;
    } else if (e.type === 'step') stepAt.push(from, end);
    else if (e.type === 'eval') addEvaluation(e, final, best);
  }
  let first: MetricsLine | undefined;
  for (let at = 0; at < buf.length && !first;) {
    let end = buf.indexOf(0x0a, at);
    if (end < 0) end = buf.length;
    first = eventAt(buf, at, end);
    at = end + 1;
  }
  let last: MetricsLine | undefined;
  for (let end = buf.length; end > 0 && !last;) {
    const at = buf.lastIndexOf(0x0a, end - 1) + 1;
    last = eventAt(buf, at, end);
    end = at - 1;
  }
  let s: MetricsLine | undefined;
  for (let k = stepAt.length - 2; k >= 0 && s?.type !== 'step'; k -= 2)
    s = eventAt(buf, stepAt[k], stepAt[k + 1]);
  const step = s?.type === 'step' ? s : undefined;
  return step
    ? summaryOf(step.step, step.tokensSeen, step.elapsedSeconds, first, last, parameters, final, best)
    : summaryOf(0, 0, 0, first, last, parameters, final, best);
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
