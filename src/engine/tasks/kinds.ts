import { SeqLabError } from '../errors';

/**
 * The kinds of model SeqLab trains. A checkpoint records its kind in its manifest (`task`); a
 * checkpoint without one was written before there was a choice and is a language model.
 */
export const TASK_KINDS = ['lm', 'classify', 'seq2seq', 'forecast'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** What a checkpoint of each kind is called in messages ("needs a classifier checkpoint"). */
export const TASK_NOUNS: Record<TaskKind, string> = {
  lm: 'language-model',
  classify: 'classifier',
  seq2seq: 'sequence-to-sequence',
  forecast: 'forecaster',
};

/** What a step event's `tokensPerSec` counts for each kind: a forecaster's items are windows. */
export const TASK_RATE_UNITS: Record<TaskKind, string> = {
  lm: 'tok/s',
  classify: 'tok/s',
  seq2seq: 'tok/s',
  forecast: 'windows/s',
};

/** The figures (keys of a checkpoint's `metrics`) the tree and tables show for each kind. */
export const TASK_HEADLINES: Record<TaskKind, readonly { key: string; label: string; digits: number }[]> = {
  lm: [
    { key: 'valLoss', label: 'val', digits: 3 },
    { key: 'bpc', label: 'bpc', digits: 2 },
  ],
  classify: [
    { key: 'accuracy', label: 'acc', digits: 3 },
    { key: 'macro_f1', label: 'F1', digits: 3 },
  ],
  seq2seq: [
    { key: 'bleu', label: 'BLEU', digits: 1 },
    { key: 'chrf', label: 'chrF', digits: 1 },
  ],
  forecast: [
    { key: 'mae', label: 'MAE', digits: 3 },
    { key: 'rmse', label: 'RMSE', digits: 3 },
  ],
};

/** "acc 0.912 · F1 0.884" from a checkpoint's figures (those it lacks are left out). */
export function headline(kind: TaskKind, figures: Record<string, number | null | undefined>): string {
  return TASK_HEADLINES[kind]
    .filter((h) => typeof figures[h.key] === 'number' && Number.isFinite(figures[h.key]))
    .map((h) => `${h.label} ${(figures[h.key] as number).toFixed(h.digits)}`)
    .join(' · ');
}

/** The command that makes a checkpoint of each kind, for the hint of a wrong-kind error. */
const TASK_MAKERS: Record<TaskKind, string> = {
  lm: 'seqlab train <folder>',
  classify: 'seqlab train <folder> --task classify',
  seq2seq: 'seqlab train <pairs> --task seq2seq',
  forecast: 'seqlab train <file.csv> --task forecast --target <column>',
};

export function isTaskKind(v: unknown): v is TaskKind {
  return typeof v === 'string' && (TASK_KINDS as readonly string[]).includes(v);
}

/** The kind a checkpoint manifest (or run config) records; absent means a language model. */
export function taskOf(recorded: { task?: unknown } | null | undefined): TaskKind {
  return isTaskKind(recorded?.task) ? recorded.task : 'lm';
}

/**
 * Refuses a checkpoint of the wrong kind with one line naming what `action` needs, the
 * checkpoint, its kind and how to make the right one.
 */
export function requireTask(
  checkpoint: string,
  recorded: { task?: unknown },
  needed: TaskKind | readonly TaskKind[],
  action: string,
): void {
  const kinds: readonly TaskKind[] = typeof needed === 'string' ? [needed] : needed;
  const actual = taskOf(recorded);
  if (kinds.includes(actual)) return;
  const want = kinds.map((k) => TASK_NOUNS[k]).join(' or ');
  throw new SeqLabError(
    'wrong-checkpoint-kind',
    `${action} needs a ${want} checkpoint, but this is a ${TASK_NOUNS[actual]} checkpoint`,
    checkpoint,
    `choose a ${want} checkpoint, or train one with \`${TASK_MAKERS[kinds[0]]}\``,
  );
}
