// The comparison logic of the runs table, grouping and exports: pure functions over the
// protocol's types (no DOM, no vscode), shared by the webview and the unit tests.
import type { ConfigValue, RunSummary } from './protocol';

/** Config keys whose values are not the same in every run (a key missing from a run differs). */
export function differingKeys(configs: readonly Record<string, ConfigValue>[]): string[] {
  const keys = [...new Set(configs.flatMap((c) => Object.keys(c)))];
  return keys.filter((k) => {
    const first = configs[0]?.[k];
    return configs.some((c) => c[k] !== first);
  });
}

/** Every config key of the runs, in first-seen order. */
export function allKeys(configs: readonly Record<string, ConfigValue>[]): string[] {
  return [...new Set(configs.flatMap((c) => Object.keys(c)))];
}

/** Runs whose label, name, id, config values, tags or notes contain every word of `text`. */
export function filterRuns<R extends RunSummary>(runs: readonly R[], text: string): R[] {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return [...runs];
  return runs.filter((r) => {
    const hay = [
      r.label,
      r.id,
      r.state,
      r.notes?.name ?? '',
      r.notes?.notes ?? '',
      ...(r.notes?.tags ?? []),
      ...Object.entries(r.config ?? {}).map(([k, v]) => `${k}=${v}`),
    ]
      .join(' ')
      .toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** A sortable column's value: `config:<key>`, `best:<metric>`, `final:<metric>`, or a stat. */
export function columnValue(r: RunSummary, column: string): ConfigValue | null {
  const [kind, name] = column.includes(':') ? column.split(/:(.*)/s) : ['', column];
  if (kind === 'config') return r.config?.[name] ?? null;
  if (kind === 'best' || kind === 'final') return r.stats?.[kind][name] ?? null;
  if (column === 'run') return r.notes?.name ?? r.label;
  const s = r.stats as unknown as Record<string, number | null> | undefined;
  return s && column in s ? s[column] : column === 'state' ? r.state : null;
}

/** Sorted by a column; missing values last whatever the direction. */
export function sortRuns<R extends RunSummary>(runs: readonly R[], column: string, dir: 1 | -1): R[] {
  return [...runs].sort((a, b) => {
    const x = columnValue(a, column);
    const y = columnValue(b, column);
    if (x === null || y === null) return x === null ? (y === null ? 0 : 1) : -1;
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * dir;
    return String(x).localeCompare(String(y), undefined, { numeric: true }) * dir;
  });
}

/** The runs in groups by the value of one config key, in order of first appearance. */
export function groupRuns<R extends RunSummary>(runs: readonly R[], key: string): Map<string, R[]> {
  const groups = new Map<string, R[]>();
  for (const r of runs) {
    const v = `${key}=${r.config?.[key] ?? '—'}`;
    (groups.get(v) ?? groups.set(v, []).get(v)!).push(r);
  }
  return groups;
}

export interface BandCurve {
  x: number[];
  mean: number[];
  min: number[];
  max: number[];
  std: number[];
  /** How many members have a value at each x. */
  n: number[];
}

/**
 * The mean curve of a group's members and its spread: at each x any member recorded, the mean,
 * min, max and (population) standard deviation of the members that have a value there.
 */
export function groupCurve(members: readonly { x: readonly number[]; y: readonly number[] }[]): BandCurve {
  const acc = new Map<number, { s: number; s2: number; lo: number; hi: number; n: number }>();
  for (const m of members)
    for (let i = 0; i < m.x.length; i++) {
      const y = m.y[i];
      if (!Number.isFinite(y)) continue;
      const a = acc.get(m.x[i]);
      if (a) {
        a.s += y;
        a.s2 += y * y;
        if (y < a.lo) a.lo = y;
        if (y > a.hi) a.hi = y;
        a.n++;
      } else acc.set(m.x[i], { s: y, s2: y * y, lo: y, hi: y, n: 1 });
    }
  const x = [...acc.keys()].sort((a, b) => a - b);
  const out: BandCurve = { x, mean: [], min: [], max: [], std: [], n: [] };
  for (const k of x) {
    const a = acc.get(k)!;
    const mean = a.s / a.n;
    out.mean.push(mean);
    out.min.push(a.lo);
    out.max.push(a.hi);
    out.std.push(Math.sqrt(Math.max(0, a.s2 / a.n - mean * mean)));
    out.n.push(a.n);
  }
  return out;
}

/** Metric names over the runs, the usual headline ones first. */
export function metricNames(runs: readonly RunSummary[]): string[] {
  const order = ['valLoss', 'bpc', 'accuracy', 'f1', 'bleu', 'chrf'];
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.stats?.best ?? {})))];
  const rank = (n: string) => (order.indexOf(n) < 0 ? order.length : order.indexOf(n));
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

const STAT_COLUMNS = ['steps', 'tokens', 'wallSeconds', 'tokensPerSec', 'parameters'] as const;

/** One row per run: id, name, state, tags, config, best and final metrics, stats. */
export function metricsTable(runs: readonly RunSummary[]): {
  header: string[];
  rows: (string | number | null)[][];
} {
  const keys = allKeys(runs.map((r) => r.config ?? {}));
  const metrics = metricNames(runs);
  const header = [
    'run',
    'name',
    'state',
    'tags',
    ...keys,
    ...metrics.flatMap((m) => [`best_${m}`, `final_${m}`]),
    ...STAT_COLUMNS,
  ];
  const rows = runs.map((r) => [
    r.id,
    r.notes?.name ?? r.label,
    r.pruned ?? r.state,
    (r.notes?.tags ?? []).join(' '),
    ...keys.map((k) => {
      const v = r.config?.[k];
      return v === undefined ? null : typeof v === 'boolean' ? String(v) : v;
    }),
    ...metrics.flatMap((m) => [r.stats?.best[m] ?? null, r.stats?.final[m] ?? null]),
    ...STAT_COLUMNS.map((c) => r.stats?.[c] ?? null),
  ]);
  return { header, rows };
}

/**
 * Parallel coordinates: for each run a value in [0, 1] on each axis (numbers linearly, or
 * logarithmically when they span a factor 10 or more and are all positive; text by its place
 * among the sorted distinct values). Null where the run has no value.
 */
export function parallelAxes(
  runs: readonly RunSummary[],
  axes: readonly string[],
): { axes: { column: string; ticks: string[]; log: boolean }[]; lines: (number | null)[][] } {
  const info = axes.map((column) => {
    const vals = runs.map((r) => columnValue(r, column)).filter((v): v is ConfigValue => v !== null);
    const nums = vals.every((v) => typeof v === 'number') ? (vals as number[]) : null;
    if (nums && nums.length) {
      const lo = Math.min(...nums);
      const hi = Math.max(...nums);
      const log = lo > 0 && hi / lo >= 10;
      const f = (v: number) => (log ? Math.log(v) : v);
      const span = f(hi) - f(lo);
      return {
        column,
        log,
        ticks: [lo, hi].map((v) => String(Number(v.toPrecision(4)))),
        pos: (v: ConfigValue) => (span > 0 ? (f(v as number) - f(lo)) / span : 0.5),
      };
    }
    const cats = [...new Set(vals.map(String))].sort();
    return {
      column,
      log: false,
      ticks: cats,
      pos: (v: ConfigValue) => (cats.length > 1 ? cats.indexOf(String(v)) / (cats.length - 1) : 0.5),
    };
  });
  return {
    axes: info.map(({ column, ticks, log }) => ({ column, ticks, log })),
    lines: runs.map((r) =>
      info.map((a) => {
        const v = columnValue(r, a.column);
        return v === null ? null : a.pos(v);
      }),
    ),
  };
}

/**
 * A runs-table column's grid track: at least as wide as its longest text (header or cell; the
 * table does not wrap them), so a long key such as "validationFraction" never runs into its
 * neighbour. Wider tables scroll sideways.
 */
export function columnTrack(texts: readonly string[]): string {
  const longest = Math.max(0, ...texts.map((t) => t.length));
  return `minmax(${Math.max(9, longest + 3)}ch, 1fr)`;
}
