import * as vscode from 'vscode';
import type { TrainOverrides } from '../engine/config';
import { CORPUS_KEYS, MODEL_KEYS, overridesFromFlat, TRAIN_KEYS } from './flatConfig';

/**
 * Training defaults from the `seqlab.training.*` and `seqlab.corpus.*` settings. Only values the
 * user actually set are returned, so that presets and seqlab.json can still apply on top of the
 * engine defaults.
 */
export function settingsOverrides(scope?: vscode.Uri): TrainOverrides {
  const training = vscode.workspace.getConfiguration('seqlab.training', scope);
  const corpus = vscode.workspace.getConfiguration('seqlab.corpus', scope);
  const flat: Record<string, unknown> = {};
  const setByUser = (cfg: vscode.WorkspaceConfiguration, key: string) => {
    const i = cfg.inspect(key);
    return (
      i &&
      (i.globalValue !== undefined || i.workspaceValue !== undefined || i.workspaceFolderValue !== undefined)
    );
  };
  for (const k of [...MODEL_KEYS, ...TRAIN_KEYS]) if (setByUser(training, k)) flat[k] = training.get(k);
  for (const k of CORPUS_KEYS) if (setByUser(corpus, k)) flat[k] = corpus.get(k);
  const { overrides } = overridesFromFlat(flat, 'settings (seqlab.training.*)');
  const backend = vscode.workspace.getConfiguration('seqlab', scope).get<'wasm' | 'cpu'>('backend');
  return { ...overrides, ...(backend ? { backend } : {}) };
}
