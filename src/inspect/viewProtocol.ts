import type { FeatureRanking } from '../engine/inspect/correlate';
import type { GateSaturation } from '../engine/inspect/gates';
import type { UnitSummary } from './protocol';

/** What the editor is coloured by: the surprise heatmap or one unit's activation. */
export type ColorBy = { kind: 'surprisal' } | { kind: 'unit'; unit: string };

/** Host → Units view. */
export type HostToUnitsView =
  | {
      type: 'inspection';
      file: string;
      checkpoint: string;
      tokens: number;
      meanBits: number;
      ranking: FeatureRanking[];
      labels: Record<string, string>;
      units: UnitSummary[];
      colorBy: ColorBy;
      regex: string;
    }
  | { type: 'gates'; saturation: GateSaturation[] }
  /** Saliency of the token at the cursor: the window's tokens (as text) and their gradient norms. */
  | { type: 'saliency'; target: string; tokens: string[]; norms: number[] }
  | { type: 'error'; message: string };

/** Units view → host. Validated: the webview is a sandbox the host does not trust. */
export type UnitsViewToHost =
  { type: 'ready' } | { type: 'colorBy'; colorBy: ColorBy } | { type: 'regex'; source: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const UNIT = /^[hc]\d{1,3}\.\d{1,5}$/;

export function parseUnitsViewMessage(v: unknown): UnitsViewToHost | undefined {
  if (!isObj(v)) return undefined;
  switch (v.type) {
    case 'ready':
      return { type: 'ready' };
    case 'colorBy': {
      const c = v.colorBy;
      if (!isObj(c)) return undefined;
      if (c.kind === 'surprisal') return { type: 'colorBy', colorBy: { kind: 'surprisal' } };
      if (c.kind === 'unit' && typeof c.unit === 'string' && UNIT.test(c.unit))
        return { type: 'colorBy', colorBy: { kind: 'unit', unit: c.unit } };
      return undefined;
    }
    case 'regex':
      return typeof v.source === 'string' && v.source.length <= 500
        ? { type: 'regex', source: v.source }
        : undefined;
    default:
      return undefined;
  }
}

export function parseHostToUnitsView(v: unknown): HostToUnitsView | undefined {
  if (!isObj(v)) return undefined;
  switch (v.type) {
    case 'inspection':
      return Array.isArray(v.ranking) && Array.isArray(v.units) && typeof v.meanBits === 'number'
        ? (v as HostToUnitsView)
        : undefined;
    case 'gates':
      return Array.isArray(v.saturation) ? (v as HostToUnitsView) : undefined;
    case 'saliency':
      return Array.isArray(v.tokens) && Array.isArray(v.norms) ? (v as HostToUnitsView) : undefined;
    case 'error':
      return typeof v.message === 'string' ? (v as HostToUnitsView) : undefined;
    default:
      return undefined;
  }
}
