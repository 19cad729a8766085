import * as vscode from 'vscode';
import { DEFAULT_SUGGESTION_POLICY } from '../engine/completion/policy';
import type { CompleteOptions } from '../engine/inference/completer';

export interface CompletionSettings {
  enabled: boolean;
  debounceMs: number;
  /** Read the other open files of the same language before a new document (priming). */
  primeFromOpenFiles: boolean;
  /** Mix the model with the n-gram of its run's training text. */
  ngram: boolean;
  /** Whether options.minConfidence is the shipped default (the user has not set it anywhere). */
  defaultMinConfidence: boolean;
  options: CompleteOptions;
}

const clamp = (v: unknown, lo: number, hi: number, dflt: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : dflt;

const clampInt = (v: unknown, lo: number, hi: number, dflt: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? Math.min(hi, Math.max(lo, Math.round(v))) : dflt;

/** The `seqlab.completion.*` settings that apply to one document (its folder and its language). */
export function completionSettings(doc: vscode.TextDocument): CompletionSettings {
  const c = vscode.workspace.getConfiguration('seqlab.completion', doc);
  const languages = c.get<Record<string, unknown>>('languages') ?? {};
  const forLanguage = languages[doc.languageId] ?? languages['*'] ?? true;
  const temperature = c.get<number>('temperature');
  const set = c.inspect<number>('minConfidence');
  const userSet = [
    set?.globalValue,
    set?.workspaceValue,
    set?.workspaceFolderValue,
    set?.globalLanguageValue,
    set?.workspaceLanguageValue,
    set?.workspaceFolderLanguageValue,
  ].some((v) => v !== undefined);
  return {
    enabled: c.get<boolean>('enabled', true) && forLanguage !== false,
    debounceMs: clampInt(c.get('debounceMs'), 0, 2000, 75),
    primeFromOpenFiles: c.get<boolean>('primeFromOpenFiles', false),
    ngram: c.get<boolean>('ngram', true),
    defaultMinConfidence: !userSet,
    options: {
      maxContext: clampInt(c.get('maxContextChars'), 16, 16384, 512),
      maxLength: clampInt(c.get('maxLength'), 1, 2000, 64),
      multiline: c.get<boolean>('multiline', false),
      minConfidence: clamp(c.get('minConfidence'), 0, 1, DEFAULT_SUGGESTION_POLICY.minConfidence),
      multilineMinConfidence: clamp(
        c.get('multilineMinConfidence'),
        0,
        1,
        DEFAULT_SUGGESTION_POLICY.multilineMinConfidence,
      ),
      temperature: typeof temperature === 'number' && temperature > 0 ? Math.min(temperature, 5) : 0,
      alternatives: clampInt(c.get('alternatives'), 1, 10, 3),
      seed: Math.floor(Math.random() * 2 ** 31),
    },
  };
}
