import * as fs from 'fs';
import * as path from 'path';
import { writeJsonAtomic } from '../checkpoint';
import { SeqLabError } from '../errors';
import { RUN_FILES } from './layout';

/** annotations.json: what the user says about a run in the dashboard; training never writes it. */
export interface RunAnnotations {
  /** Display name (the run id stays the folder's name). */
  name?: string;
  /** `#rrggbb`. */
  colour?: string;
  tags?: string[];
  notes?: string;
}

const COLOUR = /^#[0-9a-f]{6}$/i;
const MAX_TEXT = 10_000;

/** Keeps only well-formed fields: a hand-edited file never breaks the dashboard. */
export function cleanAnnotations(v: unknown): RunAnnotations {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const out: RunAnnotations = {};
  if (typeof o.name === 'string' && o.name.trim()) out.name = o.name.trim().slice(0, 200);
  if (typeof o.colour === 'string' && COLOUR.test(o.colour)) out.colour = o.colour.toLowerCase();
  if (Array.isArray(o.tags)) {
    const tags = o.tags.filter((t): t is string => typeof t === 'string').map((t) => t.trim());
    const unique = [...new Set(tags.filter((t) => t && t.length <= 100))];
    if (unique.length) out.tags = unique.slice(0, 50);
  }
  if (typeof o.notes === 'string' && o.notes) out.notes = o.notes.slice(0, MAX_TEXT);
  return out;
}

export function readAnnotations(runDir: string): RunAnnotations {
  try {
    return cleanAnnotations(JSON.parse(fs.readFileSync(path.join(runDir, RUN_FILES.annotations), 'utf8')));
  } catch {
    return {};
  }
}

/** Merges `patch` into annotations.json (atomically); an empty field removes it, a malformed one is ignored. */
export function updateAnnotations(runDir: string, patch: RunAnnotations): RunAnnotations {
  if (!fs.existsSync(runDir))
    throw new SeqLabError(
      'E_RUN_MISSING',
      `Run folder ${runDir} does not exist`,
      runDir,
      'The run was deleted or moved; refresh the dashboard.',
    );
  const merged: Record<string, unknown> = { ...readAnnotations(runDir), ...cleanAnnotations(patch) };
  for (const [k, v] of Object.entries(patch))
    if (v === '' || (Array.isArray(v) && v.length === 0)) delete merged[k];
  writeJsonAtomic(path.join(runDir, RUN_FILES.annotations), merged);
  return merged as RunAnnotations;
}
