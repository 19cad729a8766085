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
import { TASK_KINDS } from '../engine/tasks/kinds';

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
  if (f.type === 'boolean') return o;
  if (f.enum) return o.choices(f.enum);
  if (f.type === 'string') return o;
  if (f.type === 'integer') return o.argParser(int(name));
  if (f.type === 'number') return o.argParser(num(name));
  if (f.type === 'text') return o;
  return o.argParser(list);
}

const flagged = CONFIG_FIELDS.filter((f) => f.flag);

/** The task a field belongs to (`classify.pooling` → classify), or undefined for common fields. */
function taskOfField(f: FieldSpec): string | undefined {
  const head = f.key.split('.')[0];
  return (TASK_KINDS as readonly string[]).includes(head) ? head : undefined;
}

/** Flags that several tasks name alike (`--bidirectional`, `--max-len`): one option sets the chosen task's. */
const sharedFlags = new Set(flagged.map((f) => flagNameOf(f)!).filter((n, i, all) => all.indexOf(n) !== i));

/** Flags shared by train, compare and finetune (finetune: no model shape, its checkpoint fixes it). */
export function trainFlags(cmd: Command, withModel: boolean): Command {
  cmd.addOption(
    new Option('--preset <name>', 'tiny | small | medium | keras-seed').choices(Object.keys(PRESETS)),
  );
  const added = new Set<string>();
  for (const f of flagged) {
    if (!withModel && f.modelFlag) continue;
    const name = flagNameOf(f)!;
    if (added.has(name)) continue;
    added.add(name);
    const o = optionOf(f);
    if (sharedFlags.has(name))
      o.description = flagged
        .filter((x) => flagNameOf(x) === name)
        .map((x) => x.help)
        .join('; ');
    cmd.addOption(o);
  }
  return cmd
    .option('--out <dir>', 'where .seqlab/runs is created (default: the folder)')
    .option('--json', 'print events as JSON lines');
}

/** Flags → engine overrides, by the schema's key paths (unset flags stay undefined). */
export function overridesFrom(flags: TrainFlags): TrainOverrides {
  const out: Record<string, unknown> = { model: {} };
  for (const f of flagged) {
    const v = flags[new Option(f.flag!).attributeName()];
    if (v === undefined) continue;
    // A flag several tasks share sets the option of the task being trained only.
    if (sharedFlags.has(flagNameOf(f)!) && taskOfField(f) !== ((flags.task as string | undefined) ?? 'lm'))
      continue;
    setConfigPath(out, f.key, v);
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
