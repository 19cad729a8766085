import * as path from 'path';
import { loadCheckpoint } from '../checkpoint';
import { readCorpus } from '../corpus';
import { SeqLabError } from '../errors';
import { InferenceModel, StepModel } from '../infer';
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
  const maxChars = opts.maxChars ?? 20000;
  const log = opts.log ?? (() => undefined);
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
  const t0 = performance.now();
  const ngram = new CharNgramModel(trainText, order);
  log(`n-gram baseline (order ${order}) built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const completer = new Completer(model, tokenizer);
  const thresholds = [...new Set([o.minConfidence, ...(opts.sweep ?? [])])].sort((a, b) => a - b);
  const counts = new Map<number, { model: KeystrokeCounts; ngram: KeystrokeCounts }>();
  for (const t of thresholds) counts.set(t, { model: emptyCounts(), ngram: emptyCounts() });
  const primed = emptyCounts();
  const reach = 4 * o.maxContext;
  files.forEach((f, i) => {
    const modelCache = new Map<number, Piece[]>();
    const ngramCache = new Map<number, Piece[]>();
    const modelPieces = (before: string, docId: string, prime = ''): Piece[] => {
      const start = Math.max(0, before.length - reach);
      return completer.greedyPieces(docId, before.slice(start), start, o, prime);
    };
    const cached = (cache: Map<number, Piece[]>, before: string, make: () => Piece[]): Piece[] => {
      let p = cache.get(before.length);
      if (!p) cache.set(before.length, (p = make()));
      return p;
    };
    for (const t of thresholds) {
      const policy = { ...o, minConfidence: t };
      const c = counts.get(t)!;
      simulateTyping(
        f.text,
        (before) =>
          completer.suggestion(
            cached(modelCache, before, () => modelPieces(before, `f${i}`)),
            before,
            policy,
          ),
        c.model,
      );
      simulateTyping(
        f.text,
        (before) =>
          buildSuggestion(
            cached(ngramCache, before, () => ngram.greedyPieces(before, o.maxLength + 1)),
            before,
            policy,
          ),
        c.ngram,
      );
    }
    if (opts.prime) {
      const ext = path.extname(f.path);
      const others = heldOut.filter((g) => g.path !== f.path && path.extname(g.path) === ext);
      const prime = primeText(
        others.map((g) => g.text),
        o.maxContext,
      );
      simulateTyping(
        f.text,
        (before) => completer.suggestion(modelPieces(before, `p${i}`, prime), before, o),
        primed,
      );
    }
    completer.forget(`f${i}`);
    completer.forget(`p${i}`);
    log(`typed ${f.path} (${f.text.length} characters)`);
  });
  const sweep: SweepRow[] = thresholds.map((t) => {
    const c = counts.get(t)!;
    const model = figures(c.model);
    const ng = figures(c.ngram);
    return {
      minConfidence: t,
      model,
      ngram: ng,
      modelSavedPerShown: model.shownChars ? (c.model.chars - c.model.keystrokes) / model.shownChars : 0,
      ngramSavedPerShown: ng.shownChars ? (c.ngram.chars - c.ngram.keystrokes) / ng.shownChars : 0,
    };
  });
  const chosen = sweep.find((r) => r.minConfidence === o.minConfidence)!;
  const primedFigures = opts.prime ? figures(primed) : undefined;
  return {
    heldOutFiles: files.length,
    chars,
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
