import {
  CONFIG_FIELDS,
  jsonKeyOf,
  lookupPreset,
  PresetName,
  setConfigPath,
  TrainOverrides,
} from '../engine/config';
import { SeqLabError } from '../engine/errors';

/** seqlab.json key → TrainConfig path, from the schema (the same keys as the settings' last segment). */
const JSON_FIELDS = new Map(
  CONFIG_FIELDS.flatMap((f) => {
    const k = jsonKeyOf(f);
    return k ? [[k, f] as const] : [];
  }),
);

/** The keys of a folder's seqlab.json and of the `seqlab.training.*`/`seqlab.corpus.*` settings. */
export const SEQLAB_JSON_KEYS: readonly string[] = ['preset', ...JSON_FIELDS.keys()];

/**
 * Flat { cell: 'gru', hidden: 128, steps: 500, … } → engine overrides. Unknown keys are errors;
 * values are checked later by validateConfig, except the shape of glob lists.
 */
export function overridesFromFlat(
  flat: Record<string, unknown>,
  where: string,
): { overrides: TrainOverrides; preset?: PresetName } {
  const out: Record<string, unknown> = {};
  let preset: PresetName | undefined;
  for (const [k, v] of Object.entries(flat)) {
    // `sweep` holds `seqlab sweep`'s settings (read by src/engine/sweep/section.ts), not a training key.
    if (v === undefined || v === null || k === '$schema' || k === 'sweep') continue;
    if (k === 'preset') {
      preset = lookupPreset(v, where);
      continue;
    }
    const f = JSON_FIELDS.get(k);
    if (!f)
      throw new SeqLabError(
        'E_CONFIG',
        `Unknown key "${k}" in ${where}`,
        where,
        `Known keys: ${SEQLAB_JSON_KEYS.join(', ')}.`,
      );
    if (f.type === 'string[]') {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
        throw new SeqLabError(
          'E_CONFIG',
          `"${k}" in ${where} must be a list of glob strings`,
          where,
          `Write it as ["**/*.md"].`,
        );
      if (!v.length) continue;
    }
    setConfigPath(out, f.key, v);
  }
  return {
    overrides: { ...(out as TrainOverrides), model: (out.model ?? {}) as TrainOverrides['model'] },
    preset,
  };
}
/** Parses a seqlab.json text; a syntax error names the file and the position. */
export function parseSeqlabJson(text: string, file: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new SeqLabError(
      'E_SEQLAB_JSON',
      `${file} is not valid JSON: ${(err as Error).message}`,
      file,
      'Fix the file, or delete it to be asked for the settings instead.',
    );
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new SeqLabError(
      'E_SEQLAB_JSON',
      `${file} must hold a JSON object such as {"preset": "small"}`,
      file,
      'Fix the file, or delete it.',
    );
  return v as Record<string, unknown>;
}
