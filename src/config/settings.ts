import * as vscode from 'vscode';
import { CONFIG_FIELDS, setConfigPath, TrainOverrides } from '../engine/config';
import { overridesFromFlat } from './flatConfig';

/**
 * Training defaults from the settings the schema names (`seqlab.training.*`, `seqlab.corpus.*`,
 * `seqlab.backend`). Only values the user actually set are returned, so that presets and
 * seqlab.json can still apply on top of the engine defaults.
 */
export function settingsOverrides(scope?: vscode.Uri): TrainOverrides {
  const flat: Record<string, unknown> = {};
  const direct: Record<string, unknown> = {};
  for (const f of CONFIG_FIELDS) {
    if (!f.setting) continue;
    const dot = f.setting.lastIndexOf('.');
    const section = vscode.workspace.getConfiguration(f.setting.slice(0, dot), scope);
    const key = f.setting.slice(dot + 1);
    const i = section.inspect(key);
    const setByUser =
      i &&
      (i.globalValue !== undefined || i.workspaceValue !== undefined || i.workspaceFolderValue !== undefined);
    if (!setByUser) continue;
    // Settings that seqlab.json cannot hold (the backend) go straight into the overrides.
    if (f.setting.startsWith('seqlab.training.') || f.setting.startsWith('seqlab.corpus.'))
      flat[key] = section.get(key);
    else setConfigPath(direct, f.key, section.get(key));
  }
  const { overrides } = overridesFromFlat(flat, 'settings (seqlab.training.*)');
  return { ...overrides, ...(direct as TrainOverrides) };
}
