import * as fs from 'fs';
import * as path from 'path';
import { writeJsonAtomic } from '../checkpoint';
import type { Tokenizer } from '../tokenizers';

/**
 * A tokenized shard for the PyTorch engine: `meta.json` plus `train.bin` / `val.bin`, flat
 * little-endian token ids (uint16 below 65536 entries, else uint32), no header, so that Python
 * memory-maps them. The header names the tokenizer so both engines decode with the same one.
 */
export interface ShardSource {
  folder: string;
  include: string[];
  exclude: string[];
}

export interface TokenShardInput {
  tokenizer: Tokenizer;
  train: Int32Array;
  val: Int32Array;
  documents: number;
  source: ShardSource;
}

function idsBuffer(ids: Int32Array, wide: boolean): Buffer {
  const out = wide ? Uint32Array.from(ids) : Uint16Array.from(ids);
  // Little-endian on every platform Node runs on today; the format says so explicitly.
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** Writes the shard into `dir` (created; the bins first, meta.json last and atomically). */
export function writeTokenShard(dir: string, s: TokenShardInput): string {
  fs.mkdirSync(dir, { recursive: true });
  const wide = s.tokenizer.vocabSize >= 65536;
  fs.writeFileSync(path.join(dir, 'train.bin'), idsBuffer(s.train, wide));
  fs.writeFileSync(path.join(dir, 'val.bin'), idsBuffer(s.val, wide));
  writeJsonAtomic(path.join(dir, 'meta.json'), {
    format: 'seqlab-shard',
    version: 1,
    dtype: wide ? 'uint32' : 'uint16',
    vocabSize: s.tokenizer.vocabSize,
    tokenizer: s.tokenizer.toJSON(),
    train: { tokens: s.train.length, file: 'train.bin' },
    val: { tokens: s.val.length, file: 'val.bin' },
    documents: s.documents,
    source: s.source,
    createdAt: new Date().toISOString(),
  });
  return dir;
}
