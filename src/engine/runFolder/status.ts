import * as fs from 'fs';
import * as path from 'path';
import { writeJsonAtomic } from '../checkpoint';
import { RUN_FILES, runPaths } from './layout';
import type { CompareSpec, RunConfigFile, RunStatus } from './schema';

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** status.json, or undefined when the run never got that far (or the file is damaged). */
export function readStatus(runDir: string): RunStatus | undefined {
  return readJson<RunStatus>(runPaths(runDir).status);
}

/** Merges `s` into status.json (atomically) and stamps updatedAt. */
export function updateStatus(runDir: string, s: Partial<RunStatus>): void {
  const prev: Partial<RunStatus> = readStatus(runDir) ?? {};
  writeJsonAtomic(runPaths(runDir).status, { ...prev, ...s, updatedAt: new Date().toISOString() });
}

export function readRunConfig(runDir: string): RunConfigFile | undefined {
  return readJson<RunConfigFile>(runPaths(runDir).config);
}

export function writeRunConfig(runDir: string, config: RunConfigFile): void {
  writeJsonAtomic(runPaths(runDir).config, config);
}

/** compare.json of an experiment folder, or undefined when the folder is not one. */
export function readCompareSpec(dir: string): CompareSpec | undefined {
  const spec = readJson<CompareSpec>(path.join(dir, RUN_FILES.compare));
  return spec?.kind === 'compare' ? spec : undefined;
}
