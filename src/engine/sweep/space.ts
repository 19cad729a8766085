import {
  CONFIG_FIELDS,
  FieldSpec,
  flagNameOf,
  jsonKeyOf,
  mergeConfig,
  setConfigPath,
  TrainConfig,
  TrainOverrides,
  validateConfig,
} from '../config';
import { SeqLabError } from '../errors';
import { Rng } from '../rng';
import type { SweepValue } from '../runFolder';

/** One swept key: a list of values (grid or random choice), or a range (random only). */
export type Dimension =
  | { key: string; field: FieldSpec; values: SweepValue[] }
  | { key: string; field: FieldSpec; range: { lo: number; hi: number; log: boolean } };

/** The config field a sweep key names: its seqlab.json key, its flag without dashes, or its path. */
export function sweepField(key: string, where: string): FieldSpec {
  const f =
    CONFIG_FIELDS.find((x) => jsonKeyOf(x) === key) ??
    CONFIG_FIELDS.find((x) => x.key === key || x.key === `model.${key}`) ??
    CONFIG_FIELDS.find((x) => flagNameOf(x) === `--${key}`);
  const known = CONFIG_FIELDS.map((x) => jsonKeyOf(x)).filter((k): k is string => !!k && k !== 'include');
  if (!f || f.type === 'string[]')
    throw new SeqLabError(
      'E_SWEEP',
      `${where}: "${key}" is not a config key a sweep can vary`,
      where,
      `Use seqlab.json keys such as ${known.slice(0, 8).join(', ')} (all: ${known.join(', ')}).`,
    );
  return f;
}

function coerce(field: FieldSpec, key: string, raw: unknown, where: string): SweepValue {
  if (field.type === 'integer' || field.type === 'number') {
    const n = typeof raw === 'number' ? raw : Number(raw);
    if (!Number.isFinite(n) || (field.type === 'integer' && !Number.isInteger(n)))
      throw new SeqLabError(
        'E_SWEEP',
        `${where}: ${key} must be ${field.type === 'integer' ? 'a whole number' : 'a number'}, got "${String(raw)}"`,
        where,
        `Write it as ${key}=${field.type === 'integer' ? '64,128' : '1e-3,3e-3'}.`,
      );
    return n;
  }
  const s = String(raw);
  if (field.enum && !field.enum.includes(s))
    throw new SeqLabError(
      'E_SWEEP',
      `${where}: ${key} cannot be "${s}"`,
      where,
      `Choose from ${field.enum.join(', ')}.`,
    );
  return s;
}

const RANGE = /^(-?[\d.e+-]+)\.\.(-?[\d.e+-]+)(:log)?$/i;

/** One `key=values` term: `cell=lstm,gru`, `hidden=64,128`, or (random) `lr=1e-4..1e-2:log`. */
function parseTerm(key: string, raw: unknown, where: string): Dimension {
  const field = sweepField(key, where);
  if (typeof raw === 'string') {
    const m = RANGE.exec(raw.trim());
    if (m && (field.type === 'number' || field.type === 'integer')) {
      const lo = Number(m[1]);
      const hi = Number(m[2]);
      const log = !!m[3];
      if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi) || (log && lo <= 0))
        throw new SeqLabError(
          'E_SWEEP',
          `${where}: ${key}=${raw} is not a range`,
          where,
          'Write a range as lo..hi with lo < hi (add :log for a log scale, with lo > 0).',
        );
      return { key, field, range: { lo, hi, log } };
    }
  }
  const list = Array.isArray(raw)
    ? raw
    : String(raw)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
  if (!list.length)
    throw new SeqLabError('E_SWEEP', `${where}: ${key} has no values`, where, `Write ${key}=a,b.`);
  return { key, field, values: [...new Set(list.map((v) => coerce(field, key, v, where)))] };
}

/** `cell=lstm,gru hidden=64,128` (the CLI's --grid) → dimensions, in the order written. */
export function parseSpace(text: string, where = '--grid'): Dimension[] {
  const dims: Dimension[] = [];
  for (const term of text.trim().split(/\s+/).filter(Boolean)) {
    const eq = term.indexOf('=');
    if (eq <= 0)
      throw new SeqLabError(
        'E_SWEEP',
        `${where}: "${term}" is not key=values`,
        where,
        "Write the space as 'cell=lstm,gru hidden=64,128 lr=1e-3,3e-3'.",
      );
    dims.push(parseTerm(term.slice(0, eq), term.slice(eq + 1), where));
  }
  return checkUnique(dims, where);
}

/** The seqlab.json form: `{"cell": ["lstm", "gru"], "lr": "1e-4..1e-2:log"}`. */
export function spaceFromObject(o: Record<string, unknown>, where: string): Dimension[] {
  return checkUnique(
    Object.entries(o).map(([k, v]) => parseTerm(k, typeof v === 'number' ? [v] : v, where)),
    where,
  );
}

function checkUnique(dims: Dimension[], where: string): Dimension[] {
  const seen = new Set<string>();
  for (const d of dims) {
    if (seen.has(d.field.key))
      throw new SeqLabError('E_SWEEP', `${where}: ${d.key} is given twice`, where, 'Give each key once.');
    seen.add(d.field.key);
  }
  return dims;
}

/** Back to the text form, for sweep.json and the preview. */
export function spaceText(dims: Dimension[]): string {
  return dims
    .map((d) =>
      'values' in d
        ? `${d.key}=${d.values.join(',')}`
        : `${d.key}=${d.range.lo}..${d.range.hi}${d.range.log ? ':log' : ''}`,
    )
    .join(' ');
}

export type Params = Record<string, SweepValue>;

/** Every combination, the first key outermost. */
export function gridPoints(dims: Dimension[]): Params[] {
  let points: Params[] = [{}];
  for (const d of dims) {
    if (!('values' in d))
      throw new SeqLabError(
        'E_SWEEP',
        `--grid: ${d.key} is a range, which only a random search can sample`,
        '--grid',
        `Add --random <n>, or list values: ${d.key}=a,b,c.`,
      );
    points = points.flatMap((p) => d.values.map((v) => ({ ...p, [d.key]: v })));
  }
  return points;
}

/** `n` points drawn with a seeded generator: lists uniformly, ranges uniformly (or log-uniformly). */
export function randomPoints(dims: Dimension[], n: number, seed: number): Params[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const p: Params = {};
    for (const d of dims) {
      if ('values' in d) p[d.key] = d.values[Math.floor(rng.next() * d.values.length)];
      else {
        const { lo, hi, log } = d.range;
        const x = log ? Math.exp(rng.uniform(Math.log(lo), Math.log(hi))) : rng.uniform(lo, hi);
        p[d.key] = d.field.type === 'integer' ? Math.round(x) : Number(x.toPrecision(4));
      }
    }
    return p;
  });
}

/** Each point once per seed (`seed` = the base seed, +1, +2…) when there is more than one. */
export function withSeeds(points: Params[], seeds: number, baseSeed: number): Params[] {
  if (seeds <= 1) return points;
  return points.flatMap((p) => Array.from({ length: seeds }, (_, i) => ({ ...p, seed: baseSeed + i })));
}

/** A run's config: the base with its params applied, validated (an error names the run's params). */
export function configWith(base: TrainConfig, params: Params): TrainConfig {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) setConfigPath(o, sweepField(k, 'sweep').key, v);
  const merged = mergeConfig(base, o as TrainOverrides);
  try {
    return validateConfig(merged);
  } catch (err) {
    if (err instanceof SeqLabError)
      throw new SeqLabError(
        err.code,
        `${err.message} (sweep run ${Object.entries(params)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')})`,
        err.where,
        err.hint,
      );
    throw err;
  }
}
