import { requireTask } from '../tasks/kinds';
import * as path from 'path';
import { loadCheckpoint } from '../checkpoint';
import { readCorpus } from '../corpus';
import { SeqLabError } from '../errors';
import { InferenceModel, StepModel } from '../inference/stepModel';
import { Completer, CompleteOptions, DEFAULT_COMPLETE_OPTIONS, Piece } from '../inference/completer';
import { FastInferenceModel, simdKernelAvailable } from '../inference/fastModel';
import { Tokenizer, tokenizerFromJSON } from '../tokenizers';
import { emptyCounts, figures, KeystrokeCounts, KeystrokeFigures, simulateTyping } from './keystrokeEval';
import { CharNgramModel } from './ngram';
import { buildSuggestion } from './policy';
import { primeText } from './prime';

export interface CompletionEvalOptions {
  /** Completion settings (default: the shipped ones). */
  options?: Partial<CompleteOptions>;
  /** More confidence thresholds to try besides `options.minConfidence` (a sweep). */
  sweep?: number[];
  /** Order of the n-gram baseline (characters it sees, plus one). */
  ngramOrder?: number;
  /** Held-out characters typed at most (the simulation asks for a suggestion at each). */
  maxChars?: number;
  /** Also type each held-out file with the model primed by the other held-out files of its kind. */
  prime?: boolean;
  log?: (line: string) => void;
}

export interface SweepRow {
  minConfidence: number;
  model: KeystrokeFigures;
  ngram: KeystrokeFigures;
  /** Keystrokes saved per character shown: what the threshold is chosen to maximise. */
  modelSavedPerShown: number;
  ngramSavedPerShown: number;
}

export interface CompletionEvaluation {
  heldOutFiles: number;
  chars: number;
  ngramOrder: number;
  options: CompleteOptions;
  /** Keystrokes saved (fractions of the typed characters) with the chosen settings. */
  keystrokes_saved: number;
  ngram_keystrokes_saved: number;
  primed_keystrokes_saved?: number;
  model: KeystrokeFigures;
  ngram: KeystrokeFigures;
  primed?: KeystrokeFigures;
  sweep: SweepRow[];
}

export interface HeldOutFile {
  path: string;
  text: string;
}

/**
 * The keystroke simulation for a model and for the n-gram baseline trained on `trainText`, over
 * the held-out files, with the same suggestion policy. The greedy continuation at each position
 * does not depend on the policy, so it is computed once per position and every threshold of the
 * sweep is applied to it (each threshold still types its own way through the text).
 */
export function evaluateCompletionOn(
  model: StepModel,
  tokenizer: Tokenizer,
  trainText: string,
  heldOut: HeldOutFile[],
  opts: CompletionEvalOptions = {},
): CompletionEvaluation {
  const o: CompleteOptions = { ...DEFAULT_COMPLETE_OPTIONS, ...opts.options, temperature: 0 };
  const order = opts.ngramOrder ?? 6;
  const log = opts.log ?? (() => undefined);
  const files = firstChars(heldOut, opts.maxChars ?? 20000);
  const t0 = performance.now();
  const ngram = new CharNgramModel(trainText, order);
  log(`n-gram baseline (order ${order}) built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const completer = new Completer(model, tokenizer);
  const thresholds = [...new Set([o.minConfidence, ...(opts.sweep ?? [])])].sort((a, b) => a - b);
  const counts = thresholds.map(() => ({ model: emptyCounts(), ngram: emptyCounts() }));
  const primed = emptyCounts();
  files.forEach((f, i) => {
    const modelPieces = piecesOf(completer, o, `f${i}`);
    const ngramPieces = cachedByPosition((before) => ngram.greedyPieces(before, o.maxLength + 1));
    thresholds.forEach((t, k) => {
      const policy = { ...o, minConfidence: t };
      const model = (before: string) => completer.suggestion(modelPieces(before), before, policy);
      simulateTyping(f.text, model, counts[k].model);
      const base = (before: string) => buildSuggestion(ngramPieces(before), before, policy);
      simulateTyping(f.text, base, counts[k].ngram);
    });
    if (opts.prime) {
      const ext = path.extname(f.path);
      const others = heldOut.filter((g) => g.path !== f.path && path.extname(g.path) === ext);
      const prime = primeText(
        others.map((g) => g.text),
        o.maxContext,
      );
      const pieces = piecesOf(completer, o, `p${i}`, prime);
      simulateTyping(f.text, (before) => completer.suggestion(pieces(before), before, o), primed);
    }
    completer.forget(`f${i}`);
    completer.forget(`p${i}`);
    log(`typed ${f.path} (${f.text.length} characters)`);
  });
  const sweep = thresholds.map((t, k) => sweepRow(t, counts[k].model, counts[k].ngram));
  const chosen = sweep[thresholds.indexOf(o.minConfidence)];
  const primedFigures = opts.prime ? figures(primed) : undefined;
  return {
    heldOutFiles: files.length,
    chars: files.reduce((n, f) => n + f.text.length, 0),
    ngramOrder: order,
    options: o,
    keystrokes_saved: chosen.model.keystrokesSaved,
    ngram_keystrokes_saved: chosen.ngram.keystrokesSaved,
    primed_keystrokes_saved: primedFigures?.keystrokesSaved,
    model: chosen.model,
    ngram: chosen.ngram,
    primed: primedFigures,
    sweep,
  };
}

/** The held-out files cut to `maxChars` characters in all (the last one cut short). */
function firstChars(heldOut: HeldOutFile[], maxChars: number): HeldOutFile[] {
  const files: HeldOutFile[] = [];
  let chars = 0;
  for (const f of heldOut) {
    if (chars >= maxChars) break;
    const text = f.text.slice(0, maxChars - chars);
    files.push({ path: f.path, text });
    chars += text.length;
  }
  if (!chars)
    throw new SeqLabError(
      'E_NO_TEXT',
      'No held-out text to type',
      'complete-eval',
      'Use a folder with at least two files, or a file long enough to hold out its tail.',
    );
  return files;
}

/** `make(before)` computed once per cursor position (the text typed is the same every time). */
function cachedByPosition(make: (before: string) => Piece[]): (before: string) => Piece[] {
  const cache = new Map<number, Piece[]>();
  return (before) => {
    let p = cache.get(before.length);
    if (!p) cache.set(before.length, (p = make(before)));
    return p;
  };
}

/** The model's greedy pieces after `before`, read as the editor sends it (4 windows back). */
function piecesOf(c: Completer, o: CompleteOptions, docId: string, prime = ''): (before: string) => Piece[] {
  return cachedByPosition((before) => {
    const start = Math.max(0, before.length - 4 * o.maxContext);
    return c.greedyPieces(docId, before.slice(start), start, o, prime);
  });
}

function sweepRow(minConfidence: number, m: KeystrokeCounts, n: KeystrokeCounts): SweepRow {
  return {
    minConfidence,
    model: figures(m),
    ngram: figures(n),
    modelSavedPerShown: m.shownChars ? (m.chars - m.keystrokes) / m.shownChars : 0,
    ngramSavedPerShown: n.shownChars ? (n.chars - n.keystrokes) / n.shownChars : 0,
  };
}

/**
 * `seqlab complete-eval`: a checkpoint's completion measured by typing the held-out part of a
 * folder (its validation files, or a single file's tail, split as training splits it), against
 * an n-gram baseline built from the rest.
 */
export function evaluateCompletion(
  checkpoint: string,
  folder: string,
  opts: CompletionEvalOptions & { include?: string[]; exclude?: string[] } = {},
): CompletionEvaluation & { checkpoint: string; folder: string } {
  const data = loadCheckpoint(checkpoint);
  requireTask(checkpoint, data.manifest, 'lm', 'Completion');
  const { model: config, tokenizer, train } = data.manifest;
  const corpus = readCorpus(folder, {
    include: opts.include,
    exclude: opts.exclude,
    valFraction: train.valFraction > 0 ? train.valFraction : 0.1,
  });
  const valPaths = corpus.files.filter((f) => f.split === 'val').map((f) => f.path);
  const heldOut = corpus.val.map((text, i) => ({ path: valPaths[i] ?? corpus.files[0].path, text }));
  const model: StepModel = simdKernelAvailable()
    ? new FastInferenceModel(config, data.weights)
    : new InferenceModel(config, data.weights);
  try {
    const r = evaluateCompletionOn(model, tokenizerFromJSON(tokenizer), corpus.train.join(''), heldOut, opts);
    return { checkpoint: path.resolve(checkpoint), folder: path.resolve(folder), ...r };
  } finally {
    model.dispose?.();
  }
}
