import * as fs from 'fs';
import * as path from 'path';
import { writeJsonAtomic } from './checkpoint';
import type { CellKind, ModelConfig, TrainConfig } from './config';
import { readCorpus } from './corpus';
import type { TrainEvent } from './events';
import { fitsTrainingKernel, paramShapes } from './model/shapes';
import {
  compareCellRunId,
  CompareRow,
  CompareSpec,
  ensureRunsDir,
  newRunId,
  readMetricsFile,
  readStatus,
  RUN_FILES,
  runPaths,
  runsRootFor,
} from './runFolder';
import { trainTokenizer } from './tokenizers';

export type { CompareRow, CompareSpec } from './runFolder';
export const COMPARE_FILE = RUN_FILES.compare;
export const COMPARE_TABLE = RUN_FILES.compareTable;
export const ALL_CELLS: CellKind[] = ['rnn', 'lstm', 'gru'];

export function parameterCount(m: ModelConfig): number {
  return paramShapes(m).reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0);
}

/**
 * The hidden size that brings `cell` closest to `target` parameters, other sizes unchanged. When
 * the base hidden size is a multiple of 4, so is the result: the wasm training kernel takes only
 * those (others train on plain TF.js ops, several times slower), and a table whose tokens/s
 * compared two different code paths would mislead.
 */
export function hiddenForBudget(base: ModelConfig, cell: CellKind, target: number): number {
  const step = fitsTrainingKernel(base.hidden) ? 4 : 1;
  let best = step;
  let bestGap = Infinity;
  for (let h = step; h <= 8192; h += step) {
    const gap = Math.abs(parameterCount({ ...base, cell, hidden: h }) - target);
    if (gap < bestGap) [best, bestGap] = [h, gap];
    else if (gap > bestGap * 2) break; // the count grows with h: past the minimum
  }
  return best;
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The vanishing gradient as one number: median of first/last in the top layer's profile. */
export function gradientRatio(events: { norms: number[][] }[]): number | null {
  const ratios = events
    .map((e) => e.norms[e.norms.length - 1])
    .filter((row) => row && row.length > 1 && row[row.length - 1] > 0)
    .map((row) => row[0] / row[row.length - 1]);
  return median(ratios);
}

/**
 * Sizes each cell to the same parameter budget (the LSTM at the base config's hidden size, on this
 * folder's vocabulary) and writes the experiment's folder with compare.json. Training is left to
 * the caller: the CLI runs it in process, VS Code as queued sessions.
 */
export function planCompare(
  folder: string,
  base: TrainConfig,
  cells: CellKind[],
  out?: string,
  patternSource?: string,
): CompareSpec & { dir: string } {
  const corpus = readCorpus(folder, {
    include: base.include,
    exclude: base.exclude,
    maxFileBytes: base.maxFileBytes,
    valFraction: base.valFraction,
    patternSource,
  });
  const vocabSize = trainTokenizer(base.tokenizer, corpus.train, base.vocabSize).vocabSize;
  const model: ModelConfig = { ...base.model, vocabSize };
  const target = parameterCount({ ...model, cell: 'lstm' });
  const root = runsRootFor(folder, out);
  const d = new Date();
  const id = newRunId('compare', d);
  const dir = path.join(ensureRunsDir(root), id);
  fs.mkdirSync(dir, { recursive: true });
  const spec: CompareSpec = {
    kind: 'compare',
    id,
    folder: path.resolve(folder),
    createdAt: d.toISOString(),
    targetParameters: target,
    vocabSize,
    runs: cells.map((cell) => {
      const hidden = hiddenForBudget(model, cell, target);
      return {
        cell,
        runId: compareCellRunId(id, cell),
        hidden,
        parameters: parameterCount({ ...model, cell, hidden }),
      };
    }),
    status: 'running',
  };
  writeJsonAtomic(path.join(dir, COMPARE_FILE), spec);
  return { ...spec, dir };
}

/** The TrainConfig of one cell of the experiment: same everything, its own cell and hidden size. */
export function cellConfig(base: TrainConfig, run: CompareSpec['runs'][number]): TrainConfig {
  return {
    ...base,
    gradEvery: base.gradEvery > 0 ? base.gradEvery : 10,
    model: { ...base.model, cell: run.cell, hidden: run.hidden },
  };
}

/** Reads the experiment's runs back from disk (metrics.jsonl and status.json) into table rows. */
export function summarizeCompare(dir: string): CompareRow[] {
  const spec = JSON.parse(fs.readFileSync(path.join(dir, COMPARE_FILE), 'utf8')) as CompareSpec;
  const runsRoot = path.dirname(dir);
  return spec.runs.map((r) => {
    const runDir = path.join(runsRoot, r.runId);
    // Tolerant: a cell whose worker crashed mid-line still shows every step it finished.
    const { events } = readMetricsFile(runPaths(runDir).metrics);
    // No status: never started (cancelled before its turn).
    const status = readStatus(runDir)?.status ?? 'not run';
    const done = [...events].reverse().find((e) => e.type === 'done');
    const evals = events.filter((e) => e.type === 'eval');
    const lastEval = evals[evals.length - 1];
    const steps = events.filter((e) => e.type === 'step');
    const lastStep = steps[steps.length - 1];
    const start = events.find((e) => e.type === 'start');
    const end = events[events.length - 1];
    const valLoss =
      done?.type === 'done' && done.valLoss !== null
        ? done.valLoss
        : lastEval?.type === 'eval'
          ? lastEval.valLoss
          : null;
    const bpc =
      done?.type === 'done' && done.bpc !== null
        ? done.bpc
        : lastEval?.type === 'eval'
          ? (lastEval.bpc ?? null)
          : null;
    return {
      cell: r.cell,
      runId: r.runId,
      hidden: r.hidden,
      parameters: r.parameters,
      status,
      steps: lastStep?.type === 'step' ? lastStep.step : 0,
      valLoss,
      bpc,
      tokensPerSec:
        lastStep?.type === 'step' && lastStep.elapsedSeconds > 0
          ? lastStep.tokensSeen / lastStep.elapsedSeconds
          : null,
      wallSeconds: start && end ? (end.time - start.time) / 1000 : null,
      gradientRatio: gradientRatio(
        events.filter(
          (e): e is Extract<TrainEvent, { type: 'timestepGradients' }> => e.type === 'timestepGradients',
        ),
      ),
    };
  });
}

const fmt = (v: number | null, digits: number) => (v === null ? '–' : v.toFixed(digits));

export function compareMarkdown(
  spec: Pick<CompareSpec, 'id' | 'folder' | 'targetParameters'>,
  rows: CompareRow[],
): string {
  const lines = [
    `# Compare cells: ${spec.id}`,
    '',
    `Folder \`${spec.folder}\`; every cell sized to about ${spec.targetParameters.toLocaleString('en-US')} parameters; one split and seed.`,
    '',
    '| cell | hidden | parameters | steps | val loss | bits/char | tokens/s | wall time | ‖∂L_T/∂h_1‖ / ‖∂L_T/∂h_T‖ | status |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.cell} | ${r.hidden} | ${r.parameters.toLocaleString('en-US')} | ${r.steps} | ${fmt(r.valLoss, 4)} | ${fmt(r.bpc, 3)} | ${r.tokensPerSec === null ? '–' : Math.round(r.tokensPerSec).toLocaleString('en-US')} | ${r.wallSeconds === null ? '–' : `${r.wallSeconds.toFixed(1)} s`} | ${r.gradientRatio === null ? '–' : r.gradientRatio.toExponential(2)} | ${r.status} |`,
    ),
    '',
    'The last column is the vanishing gradient as one number: how much of the gradient that enters the top layer at the',
    "window's last step is left after flowing back to its first step (median over recorded steps). Far below 1: vanishing;",
    'above 1: exploding.',
    '',
  ];
  return lines.join('\n');
}

/** Writes the table (compare.md) and the rows into compare.json; returns the Markdown. */
export function finishCompare(
  dir: string,
  status: CompareSpec['status'],
): { rows: CompareRow[]; markdown: string } {
  const file = path.join(dir, COMPARE_FILE);
  const spec = JSON.parse(fs.readFileSync(file, 'utf8')) as CompareSpec;
  const rows = summarizeCompare(dir);
  const markdown = compareMarkdown(spec, rows);
  fs.writeFileSync(path.join(dir, COMPARE_TABLE), markdown);
  writeJsonAtomic(file, { ...spec, status, rows });
  return { rows, markdown };
}
