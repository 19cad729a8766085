import type { FeatureRanking } from '../engine/inspect/correlate';
import type { GateSaturation } from '../engine/inspect/gates';
import type { UnitSummary } from '../engine/inspect/summary';

/** Host → inspect worker. Plain data: it crosses a worker_threads boundary. */
export type HostToInspect =
  | { type: 'inspect'; id: number; checkpoint: string; docId: string; text: string; regex?: string }
  | { type: 'unit'; id: number; docId: string; unit: string }
  | { type: 'hover'; id: number; docId: string; offset: number }
  | { type: 'saliency'; id: number; docId: string; offset: number }
  | { type: 'gates'; id: number; docId: string }
  | { type: 'forget'; docId: string };

export type { UnitSummary } from '../engine/inspect/summary';

export interface Inspected {
  type: 'inspected';
  id: number;
  docId: string;
  /** Token spans (UTF-16 offsets) and each token's surprisal in bits. */
  starts: Int32Array;
  ends: Int32Array;
  surprisal: Float32Array;
  meanBits: number;
  /** Tokens the worker re-read: all of them the first time, from the edit on after that. */
  recomputed: number;
  ranking: FeatureRanking[];
  units: UnitSummary[];
  ms: number;
}

export type InspectToHost =
  | Inspected
  | { type: 'unitValues'; id: number; unit: string; values: Float32Array }
  | {
      type: 'hoverInfo';
      id: number;
      start: number;
      end: number;
      bits: number;
      top: { text: string; p: number }[];
    }
  | { type: 'saliencyInfo'; id: number; target: number; from: number; norms: Float32Array }
  | { type: 'gateInfo'; id: number; saturation: GateSaturation[] }
  /** Superseded by a newer request for the same document before it ran. */
  | { type: 'dropped'; id: number }
  | { type: 'failed'; id: number; message: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function isHostToInspect(v: unknown): v is HostToInspect {
  if (!isObj(v)) return false;
  if (v.type === 'forget') return typeof v.docId === 'string';
  if (!isNum(v.id) || typeof v.docId !== 'string') return false;
  switch (v.type) {
    case 'inspect':
      return (
        typeof v.checkpoint === 'string' &&
        typeof v.text === 'string' &&
        (v.regex === undefined || typeof v.regex === 'string')
      );
    case 'unit':
      return typeof v.unit === 'string';
    case 'hover':
    case 'saliency':
      return isNum(v.offset);
    case 'gates':
      return true;
    default:
      return false;
  }
}

export function isInspectToHost(v: unknown): v is InspectToHost {
  if (!isObj(v) || !isNum(v.id)) return false;
  switch (v.type) {
    case 'inspected':
      return (
        v.starts instanceof Int32Array && v.surprisal instanceof Float32Array && Array.isArray(v.ranking)
      );
    case 'unitValues':
      return typeof v.unit === 'string' && v.values instanceof Float32Array;
    case 'hoverInfo':
      return Array.isArray(v.top) && isNum(v.start);
    case 'saliencyInfo':
      return v.norms instanceof Float32Array && isNum(v.from);
    case 'gateInfo':
      return Array.isArray(v.saturation);
    case 'failed':
      return typeof v.message === 'string';
    case 'dropped':
      return true;
    default:
      return false;
  }
}
