import type { Table } from './table';

/** Names that mark a time column when no `--time-column` is given. */
const TIME_NAMES = /^(time|date|datetime|timestamp|ds|month|period|day|week|hour|year|yyyymm|t)$/i;

/** What the time column says about the spacing of the rows. */
export interface TimeInfo {
  /** The time column, or null when none was found. */
  column: string | null;
  /** 'hourly', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly', 'regular' or 'irregular'. */
  spacing: string;
  /** The season the spacing implies (24 hourly, 7 daily, 52 weekly, 12 monthly, 4 quarterly), 0 if none. */
  season: number;
  /** Why the rows are treated as equally spaced anyway (an unparseable or irregular column). */
  warning?: string;
}

/** A date as milliseconds; plain years (1749) count as 1 January of that year. */
function parseTime(cell: string): number | undefined {
  const s = cell.trim();
  if (/^\d{4}$/.test(s)) return Date.UTC(Number(s), 0, 1);
  // Year-month written without a day: "1949-01", "1949/1", "1949M01".
  const ym = /^(\d{4})[-/M](\d{1,2})$/.exec(s);
  if (ym) return Date.UTC(Number(ym[1]), Number(ym[2]) - 1, 1);
  const yq = /^(\d{4})[- ]?Q([1-4])$/i.exec(s);
  if (yq) return Date.UTC(Number(yq[1]), (Number(yq[2]) - 1) * 3, 1);
  if (/^-?\d+(\.\d+)?$/.test(s)) return undefined;
  // Dates without a zone are read as UTC, so that a daylight-saving change is not an uneven step.
  const utc = Date.parse(s.includes('T') || /[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`);
  const t = Number.isFinite(utc) ? utc : Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
}

/** The column given, else the first whose name says time, else the first whose cells parse as dates. */
export function findTimeColumn(t: Table, given: string): number {
  if (given) return t.header.indexOf(given);
  const named = t.header.findIndex((h) => TIME_NAMES.test(h.trim()));
  if (named >= 0) return named;
  return t.header.findIndex((_, c) => {
    const cells = t.rows.slice(0, 50).map((r) => r[c] ?? '');
    return cells.length > 0 && cells.every((x) => parseTime(x) !== undefined);
  });
}

const HOUR = 3600e3;
const DAY = 24 * HOUR;

function monthIndex(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

/** Whether every step is the same number of calendar months `k` (the day of the month kept). */
function monthsApart(times: number[], k: number): boolean {
  for (let i = 1; i < times.length; i++)
    if (
      monthIndex(times[i]) - monthIndex(times[i - 1]) !== k ||
      new Date(times[i]).getUTCDate() !== new Date(times[0]).getUTCDate()
    )
      return false;
  return true;
}

/** The spacing of the time column's values and the season it implies. */
export function timeSpacing(t: Table, column: number): TimeInfo {
  if (column < 0) return { column: null, spacing: 'regular', season: 0 };
  const name = t.header[column];
  // A numeric time column (a year as 1749.0, a step index): evenly spaced if its steps are equal.
  const nums = t.rows.map((r) => Number((r[column] ?? '').trim()));
  if (
    nums.length > 1 &&
    nums.every((x, i) => Number.isFinite(x) && (t.rows[i][column] ?? '').trim() !== '')
  ) {
    const d = nums[1] - nums[0];
    const even =
      d > 0 &&
      nums.every((x, i) => i === 0 || Math.abs(x - nums[i - 1] - d) < 1e-9 * Math.max(1, Math.abs(x)));
    if (even)
      return { column: name, spacing: /year/i.test(name) && d === 1 ? 'yearly' : 'regular', season: 0 };
  }
  const times: number[] = [];
  for (let i = 0; i < t.rows.length; i++) {
    const v = parseTime(t.rows[i][column] ?? '');
    if (v === undefined)
      return {
        column: name,
        spacing: 'irregular',
        season: 0,
        warning: `time column "${name}" has a value that is not a date on line ${t.lines[i]} ("${t.rows[i][column] ?? ''}"); the rows are treated as equally spaced`,
      };
    times.push(v);
  }
  if (times.length < 3) return { column: name, spacing: 'regular', season: 0 };
  if (monthsApart(times, 1)) return { column: name, spacing: 'monthly', season: 12 };
  if (monthsApart(times, 3)) return { column: name, spacing: 'quarterly', season: 4 };
  if (monthsApart(times, 12)) return { column: name, spacing: 'yearly', season: 0 };
  const step = times[1] - times[0];
  const regular = step > 0 && times.every((x, i) => i === 0 || Math.abs(x - times[i - 1] - step) < 1);
  if (!regular) {
    const bad = times.findIndex((x, i) => i > 0 && Math.abs(x - times[i - 1] - step) >= 1);
    return {
      column: name,
      spacing: 'irregular',
      season: 0,
      warning: `time column "${name}" is not evenly spaced (line ${t.lines[bad]} breaks the step of line ${t.lines[1]}); the rows are treated as equally spaced`,
    };
  }
  if (step === HOUR) return { column: name, spacing: 'hourly', season: 24 };
  if (step === DAY) return { column: name, spacing: 'daily', season: 7 };
  if (step === 7 * DAY) return { column: name, spacing: 'weekly', season: 52 };
  return { column: name, spacing: 'regular', season: 0 };
}
