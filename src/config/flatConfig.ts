import { PRESETS, PresetName, TrainOverrides } from '../engine/config';
import { SeqLabError } from '../engine/errors';

/** Keys of `seqlab.training.*` settings and of a folder's seqlab.json, flat as a user writes them. */
export const MODEL_KEYS = ['cell', 'activation', 'hidden', 'layers', 'embedding', 'dropout'] as const;
export const TRAIN_KEYS = [
  'init',
  'tokenizer',
  'vocabSize',
  'seqLen',
  'batch',
  'optimizer',
  'lr',
  'momentum',
  'weightDecay',
  'clip',
  'schedule',
  'warmupSteps',
  'steps',
  'epochs',
  'timeSeconds',
  'evalEvery',
  'seed',
] as const;
export const CORPUS_KEYS = ['include', 'exclude', 'validationFraction'] as const;

/** Flat { cell: 'gru', hidden: 128, steps: 500, … } → engine overrides. Unknown keys are errors. */
export function overridesFromFlat(
  flat: Record<string, unknown>,
  where: string,
): { overrides: TrainOverrides; preset?: PresetName } {
  const model: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  let preset: PresetName | undefined;
  for (const [k, v] of Object.entries(flat)) {
    if (v === undefined || v === null) continue;
    if (k === 'preset') {
      if (typeof v !== 'string' || !(v in PRESETS))
        throw new SeqLabError(
          'E_CONFIG',
          `Unknown preset ${JSON.stringify(v)} in ${where}`,
          where,
          `Use one of ${Object.keys(PRESETS).join(', ')}.`,
        );
      preset = v as PresetName;
    } else if ((MODEL_KEYS as readonly string[]).includes(k)) model[k] = v;
    else if ((TRAIN_KEYS as readonly string[]).includes(k)) rest[k] = v;
    else if (k === 'include' || k === 'exclude') {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
        throw new SeqLabError(
          'E_CONFIG',
          `"${k}" in ${where} must be a list of glob strings`,
          where,
          `Write it as ["**/*.md"].`,
        );
      if (v.length) rest[k] = v;
    } else if (k === 'validationFraction') rest.valFraction = v;
    else if (k !== '$schema')
      throw new SeqLabError(
        'E_CONFIG',
        `Unknown key "${k}" in ${where}`,
        where,
        `Known keys: preset, ${[...MODEL_KEYS, ...TRAIN_KEYS, ...CORPUS_KEYS].join(', ')}.`,
      );
  }
  return { overrides: { ...(rest as TrainOverrides), model: model as TrainOverrides['model'] }, preset };
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
