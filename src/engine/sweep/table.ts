import * as fs from 'fs';
import * as path from 'path';
import {
  readMetricsFile,
  RUN_FILES,
  runPaths,
  RunSummary,
  summarizeEvents,
  SweepRunEntry,
  SweepSpec,
} from '../runFolder';

export interface SweepRow extends SweepRunEntry {
  summary: RunSummary;
}

/** Each run of the sweep with its headline numbers, read back from its metrics.jsonl. */
export function sweepRows(dir: string, spec: SweepSpec): SweepRow[] {
  return spec.runs.map((r) => ({
    ...r,
    summary: summarizeEvents(readMetricsFile(runPaths(path.join(path.dirname(dir), r.runId)).metrics).events),
  }));
}

const fmt = (v: number | undefined) =>
  v === undefined ? '–' : Math.abs(v) >= 1e4 ? v.toExponential(3) : v.toFixed(4);

/** sweep.md: the runs best first by the sweep's metric, each with its params and how it ended. */
export function sweepMarkdown(spec: SweepSpec, rows: SweepRow[]): string {
  const m = spec.metric;
  const keyOf = (r: SweepRow) => r.summary.best[m.name];
  const sorted = [...rows].sort((a, b) => {
    const x = keyOf(a);
    const y = keyOf(b);
    if (x === undefined || y === undefined) return x === undefined ? (y === undefined ? 0 : 1) : -1;
    return m.goal === 'min' ? x - y : y - x;
  });
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.params)))];
  return [
    `# Sweep ${spec.id}`,
    '',
    `Folder \`${spec.folder}\`; ${spec.mode} over \`${spec.space}\`${spec.seeds > 1 ? ` × ${spec.seeds} seeds` : ''}; pruning: ${spec.prune}; ranked by ${m.name} (${m.goal === 'min' ? 'lower' : 'higher'} is better).`,
    '',
    `| run | ${keys.join(' | ')} | steps | best ${m.name} | final ${m.name} | state |`,
    `|---|${keys.map(() => '---|').join('')}---:|---:|---:|---|`,
    ...sorted.map(
      (r) =>
        `| ${r.runId.slice(spec.id.length + 1)} | ${keys.map((k) => String(r.params[k] ?? '')).join(' | ')} | ${r.summary.steps} | ${fmt(r.summary.best[m.name])} | ${fmt(r.summary.final[m.name])} | ${r.state === 'pruned' && r.pruned ? `pruned at step ${r.pruned.step} (${r.pruned.reason})` : r.state}${r.error ? `: ${r.error}` : ''} |`,
    ),
    '',
  ].join('\n');
}

/** Writes sweep.md beside sweep.json; returns the rows and the Markdown. */
export function writeSweepTable(dir: string, spec: SweepSpec): { rows: SweepRow[]; markdown: string } {
  const rows = sweepRows(dir, spec);
  const markdown = sweepMarkdown(spec, rows);
  fs.writeFileSync(path.join(dir, RUN_FILES.sweepTable), markdown);
  return { rows, markdown };
}
