import * as fs from 'fs';
import * as path from 'path';
import type { TrainConfig } from '../../config';
import { Corpus, CorpusOptions, listCorpus, readCorpus } from '../../corpus';
import { StreamBatcher, TokenSource } from '../../data';
import { ensureShard, openShard, Shard, SHARD_FILES, shardKey, shardsDir } from '../../data/shard';
import type { CorpusReport } from '../../events';
import { concatIds, Tokenizer, trainTokenizer } from '../../tokenizers';

/** A folder read, tokenized and cut into B parallel streams of T-token windows. */
export interface LanguageData {
  /** The corpus held in memory; absent when the run streams from a shard. */
  corpus?: Corpus;
  /** The tokenized shard the run streams its windows from (a corpus larger than memory). */
  shard?: Shard;
  tokenizer: Tokenizer;
  trainTokens: TokenSource;
  valTokens: TokenSource;
  /** Code points of the validation text (bits per character). */
  valChars: number;
  /** The start of the first validation text (else training text), which samples are primed from. */
  primeSource: string;
  /** Pieces mapped to `<unk>` (an inherited tokenizer on new text). */
  unknown: number;
  batcher: StreamBatcher;
}

/** How a run holds its corpus: in memory, streamed from a shard, or a shard when it is large. */
export type ShardMode = 'auto' | 'on' | 'off';

/** Above this much text (bytes on disk) `auto` streams from a shard rather than holding it all. */
export const SHARD_AUTO_BYTES = 256 * 1024 * 1024;

export interface ShardChoice {
  mode: ShardMode;
  /** The folder whose `.seqlab/shards` holds the shard (where the runs go). */
  root: string;
  log?: (line: string) => void;
}

/** The corpus options a run of `config` reads its folder with (the completion n-gram reads the same split). */
export function corpusOptions(config: TrainConfig, patternSource?: string): CorpusOptions {
  return {
    include: config.include,
    exclude: config.exclude,
    maxFileBytes: config.maxFileBytes,
    valFraction: config.valFraction,
    patternSource,
  };
}

/** Whether the corpus goes through a shard: asked for, or (auto) more text than `SHARD_AUTO_BYTES`. */
export function wantsShard(folder: string, opts: CorpusOptions, mode: ShardMode): boolean {
  if (mode !== 'auto') return mode === 'on';
  const listing = listCorpus(folder, opts);
  let bytes = 0;
  for (const rel of listing.rels) {
    try {
      bytes += fs.statSync(path.join(listing.root, rel)).size;
    } catch {
      // A file that vanished counts for nothing; the corpus reader reports it.
    }
    if (bytes > SHARD_AUTO_BYTES) return true;
  }
  return false;
}

/**
 * Reads the folder; trains a tokenizer on its training split unless one is given (fine-tune, resume).
 * With a shard (asked for, or a large corpus), the text is tokenized once into a shard on disk and
 * the windows are read from it as training goes: the same token streams, so the same run.
 */
export function prepareLanguageData(
  folder: string,
  config: TrainConfig,
  given?: Tokenizer,
  patternSource?: string,
  shard?: ShardChoice,
): LanguageData {
  const opts = corpusOptions(config, patternSource);
  if (shard && wantsShard(folder, opts, shard.mode)) return shardData(folder, config, opts, shard, given);
  const corpus = readCorpus(folder, opts);
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
  return {
    corpus,
    tokenizer,
    trainTokens,
    valTokens,
    valChars: corpus.valChars,
    primeSource: corpus.val[0] ?? corpus.train[0],
    unknown,
    batcher,
  };
}

/**
 * The shard for this corpus. With a given tokenizer (resume, fine-tune), the shard written when
 * the run started is reused when it was trained to that very tokenizer, rather than tokenizing
 * the corpus again.
 */
function shardDir(
  folder: string,
  config: TrainConfig,
  opts: CorpusOptions,
  c: ShardChoice,
  given?: Tokenizer,
) {
  const trainedAs = {
    ...opts,
    tokenizer: { kind: given?.kind ?? config.tokenizer, vocabSize: config.vocabSize },
  };
  if (given) {
    const dir = path.join(shardsDir(c.root), shardKey(folder, trainedAs));
    try {
      const meta = JSON.parse(fs.readFileSync(path.join(dir, SHARD_FILES.meta), 'utf8'));
      if (JSON.stringify(meta.tokenizer) === JSON.stringify(given.toJSON())) return dir;
    } catch {
      // No such shard: write one with the given tokenizer.
    }
  }
  return ensureShard(
    folder,
    c.root,
    given ? { ...opts, tokenizer: given, log: c.log } : { ...trainedAs, log: c.log },
  );
}

function shardData(
  folder: string,
  config: TrainConfig,
  opts: CorpusOptions,
  c: ShardChoice,
  given?: Tokenizer,
): LanguageData {
  const shard = openShard(shardDir(folder, config, opts, c, given));
  c.log?.(`streaming ${shard.meta.train.tokens} training tokens from the shard ${shard.dir}`);
  try {
    const batcher = StreamBatcher.forTraining(shard.train, config.batch, config.seqLen);
    return {
      shard,
      tokenizer: given ?? shard.tokenizer,
      trainTokens: shard.train,
      valTokens: shard.val,
      valChars: shard.meta.val.chars,
      primeSource: shard.meta.prime,
      unknown: shard.meta.unknownTokens,
      batcher,
    };
  } catch (err) {
    shard.close();
    throw err;
  }
}

export function corpusReport(folder: string, d: LanguageData): CorpusReport {
  const common = {
    folder: path.resolve(folder),
    trainTokens: d.trainTokens.length,
    valTokens: d.valTokens.length,
    unknownTokens: d.unknown,
  };
  if (d.shard) {
    const m = d.shard.meta;
    return {
      ...common,
      files: m.documents,
      trainFiles: m.train.files,
      valFiles: m.val.files,
      trainChars: m.train.chars,
      valChars: m.val.chars,
      skipped: m.skipped,
    };
  }
  const corpus = d.corpus!;
  return {
    ...common,
    files: corpus.files.length,
    trainFiles: corpus.files.filter((f) => f.split === 'train').length,
    valFiles: corpus.files.filter((f) => f.split === 'val').length,
    trainChars: corpus.trainChars,
    valChars: corpus.valChars,
    skipped: corpus.skipped,
  };
}
