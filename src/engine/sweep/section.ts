import { SeqLabError } from '../errors';
import type { PruneRule } from '../runFolder';
import type { SweepRequest } from './plan';
import { Dimension, parseSpace, spaceFromObject } from './space';

/** The sweep's own settings, from flags or seqlab.json's `sweep` section (everything but the base config). */
export type SweepSettings = Omit<SweepRequest, 'folder' | 'out' | 'base' | 'space'> & { space?: Dimension[] };

export const PRUNE_RULES: readonly PruneRule[] = ['none', 'median', 'asha'];

/** "90s", "30m", "2h", or plain seconds → seconds. */
export function parseDuration(v: unknown, where: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/i.exec(String(v));
  const n = m ? Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h'] : NaN;
  if (!(n > 0))
    throw new SeqLabError(
      'E_SWEEP',
      `${where}: "${String(v)}" is not a duration`,
      where,
      'Write a time such as 90s, 30m or 2h.',
    );
  return n;
}

function positiveInt(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new SeqLabError(
      'E_SWEEP',
      `${where} must be a whole number ≥ 1, got ${JSON.stringify(v)}`,
      where,
      'Fix the value.',
    );
  return v;
}

/**
 * seqlab.json's `sweep` section, e.g.
 * `{"grid": {"cell": ["lstm", "gru"], "hidden": [64, 128]}, "seeds": 3, "prune": "median", "budget": "30m"}`.
 * `grid` may also be the CLI's text form. Unknown keys are errors, so a typo is not silently ignored.
 */
export function parseSweepSection(v: unknown, file: string): SweepSettings {
  const where = `${file} "sweep"`;
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new SeqLabError(
      'E_SWEEP',
      `${where} must be an object`,
      file,
      'Write it as {"grid": {"hidden": [64, 128]}}.',
    );
  const out: SweepSettings = {};
  const pruneOptions: NonNullable<SweepSettings['pruneOptions']> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const at = `${where}.${k}`;
    switch (k) {
      case 'grid':
        out.space =
          typeof x === 'string'
            ? parseSpace(x, at)
            : typeof x === 'object' && x !== null && !Array.isArray(x)
              ? spaceFromObject(x as Record<string, unknown>, at)
              : parseSpace('', at);
        break;
      case 'seeds':
      case 'random':
      case 'parallel':
      case 'threadsPerRun':
        out[k] = positiveInt(x, at);
        break;
      case 'budget':
        out.budgetSeconds = parseDuration(x, at);
        break;
      case 'prune':
        if (!PRUNE_RULES.includes(x as PruneRule))
          throw new SeqLabError(
            'E_SWEEP',
            `${at} cannot be ${JSON.stringify(x)}`,
            file,
            `Choose ${PRUNE_RULES.join(', ')}.`,
          );
        out.prune = x as PruneRule;
        break;
      case 'metric':
        out.metric = String(x);
        break;
      case 'minRuns':
      case 'eta':
      case 'minSteps':
        pruneOptions[k] = positiveInt(x, at);
        break;
      case 'warmupSteps':
        pruneOptions[k] = typeof x === 'number' && x >= 0 ? Math.floor(x) : positiveInt(x, at);
        break;
      default:
        throw new SeqLabError(
          'E_SWEEP',
          `Unknown key "${k}" in ${where}`,
          file,
          'Known keys: grid, seeds, random, budget, parallel, threadsPerRun, prune, metric, minRuns, warmupSteps, eta, minSteps.',
        );
    }
  }
  if (Object.keys(pruneOptions).length) out.pruneOptions = pruneOptions;
  return out;
}
