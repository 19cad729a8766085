import { requireTask } from './tasks/kinds';
import * as path from 'path';
import { BackendChoice, initBackend } from './wasm/backend';
import { loadCheckpoint } from './checkpoint';
import { countChars, readCorpus } from './corpus';
import { SeqLabError } from './errors';
import { LanguageModel } from './model/model';
import { tokenizerFromJSON } from './tokenizers';
import { evaluate } from './tasks/languageModel/evaluate';

export interface FolderEvaluation {
  checkpoint: string;
  folder: string;
  loss: number;
  perplexity: number;
  bpc: number;
  tokens: number;
  unknownTokens: number;
}

/** Loss, perplexity and bits per character of a checkpoint over all text in a folder. */
export async function evaluateCheckpointOnFolder(
  checkpoint: string,
  folder: string,
  opts: {
    include?: string[];
    exclude?: string[];
    backend?: BackendChoice;
    log?: (l: string) => void;
    /** Where the include/exclude patterns came from (a flag), for a refused pattern's message. */
    patternSource?: string;
  } = {},
): Promise<FolderEvaluation> {
  const data = loadCheckpoint(checkpoint);
  requireTask(checkpoint, data.manifest, 'lm', 'Evaluating a language model on a folder');
  await initBackend(opts.backend ?? 'wasm', opts.log);
  const tok = tokenizerFromJSON(data.manifest.tokenizer);
  const corpus = readCorpus(folder, {
    include: opts.include,
    exclude: opts.exclude,
    valFraction: 0,
    patternSource: opts.patternSource,
  });
  const text = corpus.train.join('');
  const enc = tok.encodeCounting(text);
  const model = new LanguageModel(data.manifest.model, data.weights);
  try {
    const r = await evaluate(
      model,
      enc.ids,
      countChars(text),
      data.manifest.train.seqLen,
      data.manifest.train.batch,
    );
    if (!r)
      throw new SeqLabError(
        'E_NO_TEXT',
        `Not enough text in ${folder} to evaluate`,
        folder,
        'Use a folder with more text.',
      );
    // A NaN loss (diverged weights) is a failure to report, never a result to print.
    if (!Number.isFinite(r.loss))
      throw new SeqLabError(
        'E_DIVERGED',
        `Checkpoint ${checkpoint} gives a loss of ${r.loss} on ${folder}: its weights are not usable`,
        checkpoint,
        'Evaluate an earlier checkpoint of the run (one saved before training diverged).',
      );
    return {
      checkpoint: path.resolve(checkpoint),
      folder: path.resolve(folder),
      loss: r.loss,
      perplexity: r.perplexity,
      bpc: r.bpc,
      tokens: r.tokens,
      unknownTokens: enc.unknown,
    };
  } finally {
    model.dispose();
  }
}
