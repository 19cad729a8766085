import type { TaskKind } from '../engine/tasks/kinds';

/**
 * What a finished run's notification offers beside its dashboard: the next thing one does with
 * that task's checkpoint. Each command takes `{ checkpoint }` and asks for the rest; a language
 * model's "Generate Sample" would fail on a classifier or a translator.
 */
export const NEXT_STEP: Record<TaskKind, { label: string; command: string }> = {
  lm: { label: 'Generate Sample', command: 'seqlab.generate' },
  classify: { label: 'Evaluate on Folder…', command: 'seqlab.evaluateClassifier' },
  seq2seq: { label: 'Evaluate on File…', command: 'seqlab.evaluateTranslator' },
  forecast: { label: 'Forecast File…', command: 'seqlab.forecastFile' },
};
