import * as path from 'path';
import type { TrainConfig } from '../../config';
import { Corpus, readCorpus } from '../../corpus';
import { StreamBatcher } from '../../data';
import type { CorpusReport } from '../../events';
import { concatIds, Tokenizer, trainTokenizer } from '../../tokenizers';

/** A folder read, tokenized and cut into B parallel streams of T-token windows. */
export interface LanguageData {
  corpus: Corpus;
  tokenizer: Tokenizer;
  trainTokens: Int32Array;
  valTokens: Int32Array;
  /** Pieces mapped to `<unk>` (an inherited tokenizer on new text). */
  unknown: number;
  batcher: StreamBatcher;
}

/** Reads the folder; trains a tokenizer on its training split unless one is given (fine-tune, resume). */
export function prepareLanguageData(
  folder: string,
  config: TrainConfig,
  given?: Tokenizer,
  patternSource?: string,
): LanguageData {
  const corpus = readCorpus(folder, {
    include: config.include,
    exclude: config.exclude,
    maxFileBytes: config.maxFileBytes,
    valFraction: config.valFraction,
    patternSource,
  });
  const tokenizer = given ?? trainTokenizer(config.tokenizer, corpus.train, config.vocabSize);
  let unknown = 0;
  const encodeAll = (texts: string[]) =>
    concatIds(
      texts.map((t) => {
        const r = tokenizer.encodeCounting(t);
        unknown += r.unknown;
        return r.ids;
      }),
    );
  const trainTokens = encodeAll(corpus.train);
  const valTokens = encodeAll(corpus.val);
  const batcher = StreamBatcher.forTraining(trainTokens, config.batch, config.seqLen);
  return { corpus, tokenizer, trainTokens, valTokens, unknown, batcher };
}

export function corpusReport(folder: string, d: LanguageData): CorpusReport {
  const { corpus } = d;
  return {
    folder: path.resolve(folder),
    files: corpus.files.length,
    trainFiles: corpus.files.filter((f) => f.split === 'train').length,
    valFiles: corpus.files.filter((f) => f.split === 'val').length,
    trainChars: corpus.trainChars,
    valChars: corpus.valChars,
    trainTokens: d.trainTokens.length,
    valTokens: d.valTokens.length,
    skipped: corpus.skipped,
    unknownTokens: d.unknown,
  };
}
