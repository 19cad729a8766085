import { Command, InvalidArgumentError, Option } from 'commander';
import {
  CONFIG_FIELDS,
  DEFAULT_TRAIN_CONFIG,
  FieldSpec,
  flagNameOf,
  mergeConfig,
  PRESETS,
  PresetName,
  setConfigPath,
  TrainConfig,
  TrainOverrides,
} from '../engine/config';

export const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be a whole number, got "${v}"`);
  return n;
};
export const num = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${v}"`);
  return n;
};
export const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Parsed flags of train, compare and finetune: the schema's fields by their commander names, and the rest. */
export type TrainFlags = Record<string, unknown> & { preset?: PresetName; out?: string; json?: boolean };

/** The commander option of a schema field: its parser from the type, choices from the enum. */
function optionOf(f: FieldSpec): Option {
  const flag = f.flag!;
  const name = flagNameOf(f)!;
  const o = new Option(flag, f.help);
  if (f.enum) return o.choices(f.enum);
  if (f.type === 'integer') return o.argParser(int(name));
  if (f.type === 'number') return o.argParser(num(name));
  if (f.type === 'string') return o;
  return o.argParser(list);
}

const flagged = CONFIG_FIELDS.filter((f) => f.flag);

/** Flags shared by train, compare and finetune (finetune: no model shape, its checkpoint fixes it). */
export function trainFlags(cmd: Command, withModel: boolean): Command {
  cmd.addOption(
    new Option('--preset <name>', 'tiny | small | medium | keras-seed').choices(Object.keys(PRESETS)),
  );
  for (const f of flagged) if (withModel || !f.modelFlag) cmd.addOption(optionOf(f));
  return cmd
    .option('--out <dir>', 'where .seqlab/runs is created (default: the folder)')
    .option('--json', 'print events as JSON lines');
}

/** Flags → engine overrides, by the schema's key paths (unset flags stay undefined). */
export function overridesFrom(flags: TrainFlags): TrainOverrides {
  const out: Record<string, unknown> = { model: {} };
  for (const f of flagged) {
    const v = flags[new Option(f.flag!).attributeName()];
    if (v !== undefined) setConfigPath(out, f.key, v);
  }
  return out as TrainOverrides;
}

export function configFrom(
  flags: TrainFlags,
  base: TrainConfig = DEFAULT_TRAIN_CONFIG,
  ...before: TrainOverrides[]
) {
  return mergeConfig(base, ...before, flags.preset ? PRESETS[flags.preset] : undefined, overridesFrom(flags));
}

/** The CLI flag of a config key named in an error's `where` (`hidden` → `--hidden`). */
export function flagOfConfigKey(key: string): string | undefined {
  const f =
    CONFIG_FIELDS.find((x) => x.key === key || x.key === `model.${key}`) ??
    CONFIG_FIELDS.find((x) => x.key === `forecast.${key}`);
  return f ? flagNameOf(f) : undefined;
}
