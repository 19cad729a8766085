import { CONFIG_FIELDS, defaultOf, FieldSpec } from '../engine/config';

/** A setting as package.json's `contributes.configuration.properties` declares it. */
export interface SettingContribution {
  type: 'integer' | 'number' | 'string' | 'array' | 'boolean';
  default: unknown;
  markdownDescription: string;
  enum?: readonly string[];
  minimum?: number;
  maximum?: number;
  items?: { type: 'string' };
  scope: 'resource';
}

const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1) + '.';

function contribution(f: FieldSpec): SettingContribution {
  return {
    type: f.type === 'string[]' ? 'array' : f.type,
    default: defaultOf(f),
    markdownDescription: f.description ?? sentence(f.help),
    ...(f.enum ? { enum: f.enum } : {}),
    ...(f.min !== undefined ? { minimum: f.min } : {}),
    ...(f.max !== undefined ? { maximum: f.max } : {}),
    ...(f.type === 'string[]' ? { items: { type: 'string' as const } } : {}),
    scope: 'resource',
  };
}

/** The training settings package.json must declare, derived from the schema (checked by a unit test). */
export function settingContributions(): Record<string, SettingContribution> {
  return Object.fromEntries(CONFIG_FIELDS.filter((f) => f.setting).map((f) => [f.setting!, contribution(f)]));
}

/** Which settings the schema owns: the rest of package.json's settings (completion…) are not its business. */
export const isSchemaSetting = (key: string): boolean =>
  key === 'seqlab.backend' || key.startsWith('seqlab.training.') || key.startsWith('seqlab.corpus.');
