import * as vscode from 'vscode';
import {
  CONFIG_FIELDS,
  defaultOf,
  FieldSpec,
  PRESETS,
  PresetName,
  setConfigPath,
  TrainOverrides,
} from '../engine/config';
import { parseBudget } from '../config/budget';

export async function pickFolder(title: string): Promise<vscode.Uri | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 1) {
    const here = await vscode.window.showQuickPick(
      [
        {
          label: `$(folder) ${folders[0].name}`,
          description: 'the whole workspace folder',
          uri: folders[0].uri,
        },
        { label: '$(folder-opened) Choose another folder…', uri: undefined },
      ],
      { title },
    );
    if (!here) return undefined;
    if (here.uri) return here.uri;
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    defaultUri: folders[0]?.uri,
    openLabel: 'Use this folder',
    title,
  });
  return picked?.[0];
}

const PRESET_TEXT: Record<PresetName, string> = {
  tiny: '1×LSTM 64, 300 steps — seconds; to try things out',
  small: '2×LSTM 128, 2,000 steps — a few minutes',
  medium: '2×LSTM 256, dropout 0.1, 10,000 steps — tens of minutes',
  'keras-seed': 'word-level, vocab 10k, embedding 128, 2×LSTM 256 — the classic Keras example',
};

/** A preset, or the few values that matter most. */
export async function pickConfig(): Promise<{ preset?: PresetName; overrides: TrainOverrides } | undefined> {
  const items = [
    ...(Object.keys(PRESETS) as PresetName[]).map((p) => ({
      label: p,
      description: PRESET_TEXT[p],
      preset: p as PresetName | undefined,
    })),
    {
      label: 'Custom…',
      description: 'cell, hidden size, layers, tokenizer and time budget',
      preset: undefined,
    },
  ];
  const choice = await vscode.window.showQuickPick(items, {
    title: 'SeqLab: model size',
    placeHolder: 'Pick a preset (settings under seqlab.training.* give the defaults)',
  });
  if (!choice) return undefined;
  if (choice.preset) return { preset: choice.preset, overrides: {} };
  // The prompted fields of the schema, in its order: cell, hidden size, layers, tokenizer.
  const out: Record<string, unknown> = {};
  for (const f of CONFIG_FIELDS.filter((x) => x.prompted)) {
    const v = await askField(f);
    if (v === undefined) return undefined;
    setConfigPath(out, f.key, v);
  }
  const minutes = await askNumber('Time budget in minutes (0 = until the step limit)', 5, 0, 10000);
  if (minutes === undefined) return undefined;
  return {
    overrides: {
      ...(out as TrainOverrides),
      timeSeconds: Math.round(minutes * 60),
      steps: minutes > 0 ? 0 : undefined,
    },
  };
}

/** One field, asked as the schema describes it: a pick for a choice (default first), a checked number otherwise. */
export async function askField(f: FieldSpec): Promise<unknown> {
  const dflt = defaultOf(f);
  const title = f.help.charAt(0).toUpperCase() + f.help.slice(1);
  if (f.enum) {
    const order = [...f.enum].sort((a, b) => Number(b === dflt) - Number(a === dflt));
    const picked = await vscode.window.showQuickPick(
      order.map((label) => ({ label, description: f.choiceHelp?.[label] })),
      { title: `SeqLab: ${title}` },
    );
    return picked?.label;
  }
  if (f.type === 'integer') return askInt(title, Number(dflt), f.min ?? 0, f.max ?? Number.MAX_SAFE_INTEGER);
  if (f.type === 'number') return askNumber(title, Number(dflt), f.min ?? 0, f.max ?? Number.MAX_VALUE);
  return undefined;
}

export async function askBudget(): Promise<{ steps: number; timeSeconds: number } | undefined> {
  const v = await vscode.window.showInputBox({
    prompt: 'How long: a number of steps (500), or a time budget (90s, 5m, 1h)',
    value: '500',
    validateInput: (s) =>
      parseBudget(s) ? undefined : 'Enter steps such as 500, or a time such as 90s, 5m or 1h',
  });
  return v === undefined ? undefined : parseBudget(v);
}

export async function askNumber(
  prompt: string,
  value: number,
  min: number,
  max: number,
): Promise<number | undefined> {
  const v = await vscode.window.showInputBox({
    prompt,
    value: String(value),
    validateInput: (s) => {
      const n = Number(s);
      return Number.isFinite(n) && n >= min && n <= max ? undefined : `Enter a number from ${min} to ${max}`;
    },
  });
  return v === undefined ? undefined : Number(v);
}

export async function askInt(
  prompt: string,
  value: number,
  min: number,
  max: number,
): Promise<number | undefined> {
  const v = await askNumber(prompt, value, min, max);
  return v === undefined ? undefined : Math.round(v);
}
