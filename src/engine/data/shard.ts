import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import {
  CorpusListing,
  CorpusOptions,
  countChars,
  listCorpus,
  noTextError,
  readCorpusText,
  SkippedFile,
  splitPlan,
  tailCut,
} from '../corpus';
import { SeqLabError } from '../errors';
import { tokenizerFromJSON, trainTokenizer, Tokenizer, TokenizerJSON, TokenizerKind } from '../tokenizers';

/**
 * A tokenized corpus on disk, shared by both engines: `meta.json` and flat little-endian token
 * ids (`train.bin`, `val.bin`, no header), so that PyTorch can memory-map them and the built-in
 * engine can read windows at offsets without holding the corpus in memory.
 */
export interface ShardMeta {
  format: 'seqlab-shard';
  version: 1;
  dtype: 'uint16' | 'uint32';
  vocabSize: number;
  tokenizer: TokenizerJSON;
  train: ShardSplit;
  val: ShardSplit;
  documents: number;
  source: { folder: string; include: string[]; exclude: string[] };
  createdAt: string;
  /** Beyond the agreed fields, for the built-in engine's corpus report, bpc and sample prime. */
  skipped: SkippedFile[];
  unknownTokens: number;
  prime: string;
}

export interface ShardSplit {
  tokens: number;
  file: string;
  /** Code points of the split's text (bits per character needs them). */
  chars: number;
  /** Files in the split (a single file's tail counts for validation as none). */
  files: number;
}

export const SHARD_FILES = { meta: 'meta.json', train: 'train.bin', val: 'val.bin' } as const;

/** Where a training folder's shards live: beside its runs, in `<root>/.seqlab/shards/<key>`. */
export function shardsDir(root: string): string {
  return path.join(root, '.seqlab', 'shards');
}

export function dtypeFor(vocabSize: number): 'uint16' | 'uint32' {
  return vocabSize < 65536 ? 'uint16' : 'uint32';
}

const BYTES = { uint16: 2, uint32: 4 } as const;

/** The tokenizer to train on the training split, or one to reuse (resume, fine-tune). */
export type ShardTokenizer = Tokenizer | { kind: TokenizerKind; vocabSize: number };

export interface WriteShardOptions extends CorpusOptions {
  tokenizer: ShardTokenizer;
  /** Progress lines (passes over the corpus), for the run's log. */
  log?: (line: string) => void;
}

function isTokenizer(t: ShardTokenizer): t is Tokenizer {
  return typeof (t as Tokenizer).encodeCounting === 'function';
}

/**
 * A name for the shard of this corpus and tokenizer: it changes when a file is added, removed,
 * resized or touched, or when the patterns, split or tokenizer change, so a shard is reused only
 * while it still holds what the corpus would give.
 */
export function shardKey(folder: string, opts: WriteShardOptions): string {
  const listing = listCorpus(folder, opts);
  const files = listing.rels.map((rel) => {
    try {
      const st = fs.statSync(path.join(listing.root, rel));
      return [rel, st.size, st.mtimeMs];
    } catch {
      return [rel, -1, 0];
    }
  });
  const tok = isTokenizer(opts.tokenizer)
    ? opts.tokenizer.toJSON()
    : { kind: opts.tokenizer.kind, vocabSize: opts.tokenizer.vocabSize };
  const h = crypto.createHash('sha256');
  h.update(
    JSON.stringify({
      folder: path.resolve(folder),
      include: listing.include,
      exclude: listing.exclude,
      maxBytes: listing.maxBytes,
      valFraction: listing.valFraction,
      tok,
      files,
    }),
  );
  return `${opts.tokenizer.kind}-${h.digest('hex').slice(0, 16)}`;
}

/** Appends token ids to a file through a fixed buffer, converting to the shard's dtype. */
class TokenWriter {
  private readonly fd: number;
  private readonly buf: Uint16Array | Uint32Array;
  private n = 0;
  count = 0;

  constructor(file: string, dtype: 'uint16' | 'uint32') {
    this.fd = fs.openSync(file, 'w');
    this.buf = dtype === 'uint16' ? new Uint16Array(1 << 20) : new Uint32Array(1 << 20);
  }

  write(ids: Int32Array): void {
    for (let i = 0; i < ids.length; i++) {
      this.buf[this.n++] = ids[i];
      if (this.n === this.buf.length) this.flush();
    }
    this.count += ids.length;
  }

  private flush(): void {
    // Typed arrays are in the machine's byte order; every platform Node runs on is little-endian.
    fs.writeSync(this.fd, new Uint8Array(this.buf.buffer, 0, this.n * this.buf.BYTES_PER_ELEMENT));
    this.n = 0;
  }

  close(): void {
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }
}

interface Usable {
  rel: string;
  split: 'train' | 'val';
}

/** A file read again in a later pass must still read: the corpus changed while it was tokenized. */
function reread(listing: CorpusListing, rel: string): string {
  const r = readCorpusText(listing, rel);
  if ('text' in r) return r.text;
  throw new SeqLabError(
    'E_CORPUS_CHANGED',
    `${path.join(listing.root, rel)} changed while the corpus was being tokenized (${r.reason})`,
    path.join(listing.root, rel),
    'Train again once the folder has stopped changing.',
  );
}

/**
 * The training (or validation) texts in corpus order, read one file at a time: the same texts,
 * in the same order, as `readCorpus` gives, without holding more than one file.
 */
function* splitTexts(
  listing: CorpusListing,
  files: Usable[],
  tailSplit: boolean,
  which: 'train' | 'val',
): Generator<string> {
  for (const f of files) {
    if (tailSplit) {
      const parts = tailCut(reread(listing, f.rel), listing.valFraction);
      yield which === 'train' ? parts[0] : parts[1];
    } else if (f.split === which) yield reread(listing, f.rel);
  }
}

interface TokenJob {
  folder: string;
  listing: CorpusListing;
  files: Usable[];
  tailSplit: boolean;
  tokenizer: Tokenizer;
  skipped: SkippedFile[];
  log: (line: string) => void;
}

/** Encodes both splits into `tmp` and returns the shard's meta (not yet written). */
function writeTokens(tmp: string, j: TokenJob): ShardMeta {
  const { folder, listing, files, tailSplit, tokenizer, skipped, log } = j;
  const dtype = dtypeFor(tokenizer.vocabSize);
  let prime: string | undefined;
  let unknownTokens = 0;
  const encodeSplit = (which: 'train' | 'val') => {
    const out = new TokenWriter(path.join(tmp, SHARD_FILES[which]), dtype);
    let chars = 0;
    for (const text of splitTexts(listing, files, tailSplit, which)) {
      // The sample's prime, as the in-memory run takes it: the start of the first validation text.
      if (which === 'val' && prime === undefined) prime = text.slice(0, 40);
      const r = tokenizer.encodeCounting(text);
      unknownTokens += r.unknown;
      chars += countChars(text);
      out.write(r.ids);
    }
    out.close();
    log(`shard: ${which} split written (${out.count} tokens)`);
    return { tokens: out.count, chars };
  };
  const train = encodeSplit('train');
  const val = encodeSplit('val');
  if (prime === undefined) {
    const first = splitTexts(listing, files, tailSplit, 'train').next();
    prime = first.done ? '' : first.value.slice(0, 40);
  }
  const meta: ShardMeta = {
    format: 'seqlab-shard',
    version: 1,
    dtype,
    vocabSize: tokenizer.vocabSize,
    tokenizer: tokenizer.toJSON(),
    train: { ...train, file: SHARD_FILES.train, files: files.filter((f) => f.split === 'train').length },
    val: { ...val, file: SHARD_FILES.val, files: files.filter((f) => f.split === 'val').length },
    documents: files.length,
    source: { folder: path.resolve(folder), include: listing.include, exclude: listing.exclude },
    createdAt: new Date().toISOString(),
    skipped,
    unknownTokens,
    prime,
  };
  return meta;
}

/**
 * Tokenizes a corpus folder into a shard directory `dir`: the token streams are exactly those the
 * built-in engine trains on (`readCorpus`'s split, each text encoded and concatenated in order).
 * It streams over the files (one pass to check them, one to train the tokenizer unless one is
 * given, one to encode), so its memory does not grow with the corpus; it writes into a temporary
 * folder renamed into place, so `dir` is either absent or complete.
 */
export function writeShard(folder: string, dir: string, opts: WriteShardOptions): ShardMeta {
  const listing = listCorpus(folder, opts);
  const log = opts.log ?? (() => undefined);
  const skipped: SkippedFile[] = [];
  const usable: string[] = [];
  for (const rel of listing.rels) {
    const r = readCorpusText(listing, rel);
    if ('reason' in r) skipped.push({ path: rel, reason: r.reason });
    else usable.push(rel);
  }
  if (usable.length === 0) throw noTextError(listing, skipped);
  const { held, tailSplit } = splitPlan(usable, listing.valFraction);
  const files: Usable[] = usable.map((rel) => ({ rel, split: held.has(rel) ? 'val' : 'train' }));
  log(`shard: ${usable.length} files (${skipped.length} skipped)`);

  const tokenizer = isTokenizer(opts.tokenizer)
    ? opts.tokenizer
    : trainTokenizer(
        opts.tokenizer.kind,
        splitTexts(listing, files, tailSplit, 'train'),
        opts.tokenizer.vocabSize,
      );
  if (!isTokenizer(opts.tokenizer)) log(`shard: tokenizer trained (${tokenizer.vocabSize} tokens)`);

  const parent = path.dirname(path.resolve(dir));
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(dir)}.tmp-`));
  try {
    const meta = writeTokens(tmp, { folder, listing, files, tailSplit, tokenizer, skipped, log });
    fs.writeFileSync(path.join(tmp, SHARD_FILES.meta), JSON.stringify(meta, null, 1));
    try {
      fs.renameSync(tmp, dir);
    } catch (err) {
      // Another process finished the same shard first: theirs is complete, so keep it.
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !fs.existsSync(path.join(dir, SHARD_FILES.meta)))
        throw err;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    return meta;
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The shard of this corpus and tokenizer under `root`'s `.seqlab/shards`, written unless a
 * complete one with the same key is already there.
 */
export function ensureShard(folder: string, root: string, opts: WriteShardOptions): string {
  const dir = path.join(shardsDir(root), shardKey(folder, opts));
  if (!fs.existsSync(path.join(dir, SHARD_FILES.meta))) writeShard(folder, dir, opts);
  else opts.log?.(`shard: reusing ${dir}`);
  return dir;
}

/** Random access to one split's token ids by position, read from disk on demand. */
export class TokenFile {
  readonly length: number;
  private readonly bytes: number;
  private scratch = Buffer.alloc(0);

  constructor(
    private readonly fd: number,
    readonly file: string,
    readonly dtype: 'uint16' | 'uint32',
    length: number,
  ) {
    this.length = length;
    this.bytes = BYTES[dtype];
  }

  /** Ids [start, start + count) as Int32, into `out` when given. */
  read(start: number, count: number, out = new Int32Array(count)): Int32Array {
    if (start < 0 || count < 0 || start + count > this.length)
      throw new RangeError(`tokens ${start}..${start + count} outside ${this.file} (${this.length} tokens)`);
    const nb = count * this.bytes;
    if (this.scratch.length < nb) this.scratch = Buffer.alloc(nb);
    let got = 0;
    while (got < nb) {
      const n = fs.readSync(this.fd, this.scratch, got, nb - got, start * this.bytes + got);
      if (n === 0) throw new Error(`${this.file} ended early at byte ${start * this.bytes + got}`);
      got += n;
    }
    for (let i = 0; i < count; i++)
      out[i] = this.bytes === 2 ? this.scratch.readUInt16LE(2 * i) : this.scratch.readUInt32LE(4 * i);
    return out;
  }
}

export interface Shard {
  dir: string;
  meta: ShardMeta;
  tokenizer: Tokenizer;
  train: TokenFile;
  val: TokenFile;
  close(): void;
}

function badShard(dir: string, why: string): SeqLabError {
  return new SeqLabError(
    'E_SHARD',
    `${dir} is not a usable SeqLab shard: ${why}`,
    dir,
    'Delete the folder; SeqLab writes it again from the corpus on the next run.',
  );
}

/** Opens a shard directory for reading; its files stay open until `close`. */
export function openShard(dir: string): Shard {
  let meta: ShardMeta;
  try {
    meta = JSON.parse(fs.readFileSync(path.join(dir, SHARD_FILES.meta), 'utf8')) as ShardMeta;
  } catch (err) {
    throw badShard(dir, `${SHARD_FILES.meta} cannot be read (${(err as Error).message})`);
  }
  if (meta?.format !== 'seqlab-shard' || meta.version !== 1 || !(meta.dtype in BYTES))
    throw badShard(dir, `unknown format ${JSON.stringify([meta?.format, meta?.version, meta?.dtype])}`);
  const fds: number[] = [];
  const open = (split: ShardSplit): TokenFile => {
    const file = path.join(dir, split.file);
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      throw badShard(dir, `${split.file} cannot be opened (${(err as Error).message})`);
    }
    fds.push(fd);
    const size = fs.fstatSync(fd).size;
    if (size !== split.tokens * BYTES[meta.dtype])
      throw badShard(dir, `${split.file} holds ${size} bytes, not ${split.tokens} ${meta.dtype} tokens`);
    return new TokenFile(fd, file, meta.dtype, split.tokens);
  };
  try {
    const train = open(meta.train);
    const val = open(meta.val);
    return {
      dir,
      meta,
      tokenizer: tokenizerFromJSON(meta.tokenizer),
      train,
      val,
      close: () => fds.splice(0).forEach((fd) => fs.closeSync(fd)),
    };
  } catch (err) {
    fds.forEach((fd) => fs.closeSync(fd));
    throw err;
  }
}
