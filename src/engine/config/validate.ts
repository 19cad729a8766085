import { SeqLabError } from '../errors';
import { checkMemory } from './memory';
import { CONFIG_FIELDS, FieldSpec, getConfigPath } from './schema';
import type { TrainConfig } from './types';

function bad(where: string, msg: string, hint: string): never {
  throw new SeqLabError('E_CONFIG', `Invalid ${where}: ${msg}`, where, hint);
}

const orList = (xs: readonly string[]) =>
  xs.length > 1 ? `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}` : xs.join('');

/** The `where` of an error is the field's name in TrainConfig (`hidden`, not `model.hidden`). */
const nameOf = (f: FieldSpec) => f.key.split('.').pop()!;

function checkField(f: FieldSpec, v: unknown): void {
  if (v === undefined && f.optional) return;
  const k = nameOf(f);
  switch (f.type) {
    case 'boolean':
      if (typeof v !== 'boolean') bad(k, JSON.stringify(v), 'Use true or false.');
      return;
    case 'string':
      if (typeof v !== 'string') bad(k, `${JSON.stringify(v)} (expected text)`, 'Write it as a string.');
      if (f.enum && !f.enum.includes(v)) bad(k, JSON.stringify(v), `Use ${orList(f.enum)}.`);
      return;
    case 'text':
      if (typeof v !== 'string' || v === '') bad(k, JSON.stringify(v), 'Give a non-empty name.');
      return;
    case 'string[]':
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
        bad(k, `${JSON.stringify(v)} (expected a list of glob strings)`, 'Write it as ["**/*.md"].');
      return;
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < f.min! || v > f.max!)
        bad(
          k,
          `${JSON.stringify(v)} (expected a whole number from ${f.min} to ${f.max})`,
          'Choose a value in that range.',
        );
      return;
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v) || v < f.min! || v > f.max!)
        bad(
          k,
          `${JSON.stringify(v)} (expected a number from ${f.min} to ${f.max})`,
          'Choose a value in that range.',
        );
      return;
  }
}

/**
 * Checks every field of the schema, the rules that tie fields together, and that the model fits
 * in memory. The `where` of an error is the config key, which the CLI maps to its flag.
 */
export function validateConfig(c: TrainConfig): TrainConfig {
  for (const f of CONFIG_FIELDS) checkField(f, getConfigPath(c, f.key));
  if (c.tokenizer === 'bpe' && c.vocabSize !== 0 && c.vocabSize < 257)
    bad('vocabSize', `${c.vocabSize} is too small for bpe`, 'BPE needs at least 257 (256 bytes + merges).');
  if (c.steps > 0 && c.warmupSteps > c.steps)
    bad(
      'warmupSteps',
      `${c.warmupSteps} warm-up steps in a run of ${c.steps} steps`,
      'Use fewer warm-up steps than steps (a tenth is usual).',
    );
  checkMemory(c);
  return c;
}
