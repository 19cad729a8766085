/**
 * Corpus ingest speed: reading a ~50 MB generated folder and tokenizing it with the char and BPE
 * tokenizers, as training does (readCorpus, train the tokenizer on the training split, encode).
 */
import * as fs from 'fs';
import * as path from 'path';
import { readCorpus } from '../src/engine/corpus';
import { BpeTokenizer, CharTokenizer } from '../src/engine/tokenizers';
import { tmpDir } from '../test/helpers/util';

const WORDS =
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her she there been one all we their has would when if so no will more can'.split(
    ' ',
  );
const CODE = [
  'function',
  'return',
  'const',
  'let',
  'if',
  'else',
  'for',
  'while',
  'class',
  'import',
  'export',
  '=>',
  '{',
  '}',
  '(',
  ')',
  ';',
  '=',
  '+',
  '.',
];

/** ~`mb` MB of text in 1 MB files: prose-like and code-like lines, some non-ASCII. */
export function makeIngestCorpus(mb: number): { dir: string; bytes: number } {
  const dir = tmpDir('seqlab-ingest-');
  let s = 7;
  const rnd = (n: number) => ((s = (s * 1103515245 + 12345) & 0x7fffffff), s % n);
  let bytes = 0;
  for (let f = 0; f < mb; f++) {
    const lines: string[] = [];
    let size = 0;
    while (size < 1 << 20) {
      const code = rnd(3) === 0;
      const n = 4 + rnd(10);
      const parts: string[] = [];
      for (let i = 0; i < n; i++) parts.push(code ? CODE[rnd(CODE.length)] : WORDS[rnd(WORDS.length)]);
      if (rnd(20) === 0) parts.push('naïve café – ünïcode');
      const line = (code ? '  '.repeat(rnd(4)) : '') + parts.join(' ');
      lines.push(line);
      size += Buffer.byteLength(line) + 1;
    }
    const text = lines.join('\n') + '\n';
    fs.writeFileSync(path.join(dir, `part-${String(f).padStart(3, '0')}.txt`), text);
    bytes += Buffer.byteLength(text);
  }
  return { dir, bytes };
}

export interface IngestResult {
  mb: number;
  read_mb_per_s: number;
  char_mb_per_s: number;
  bpe_train_seconds: number;
  bpe_encode_mb_per_s: number;
}

export function benchIngest(mb: number, log: (s: string) => void): IngestResult {
  const { dir, bytes } = makeIngestCorpus(mb);
  const MB = bytes / 2 ** 20;
  let t0 = performance.now();
  const corpus = readCorpus(dir, { valFraction: 0.1 });
  const readS = (performance.now() - t0) / 1000;
  const all = [...corpus.train, ...corpus.val];
  t0 = performance.now();
  const ch = CharTokenizer.train(corpus.train);
  let n = 0;
  for (const t of all) n += ch.encode(t).length;
  const charS = (performance.now() - t0) / 1000;
  // BPE: merges learned on the first 4 MB (training on all of it is a one-off per run), then
  // every byte encoded.
  t0 = performance.now();
  const sample: string[] = [];
  let took = 0;
  for (const t of corpus.train) {
    if (took > 4 * 2 ** 20) break;
    sample.push(t);
    took += t.length;
  }
  const bpe = BpeTokenizer.train(sample, 1024);
  const bpeTrainS = (performance.now() - t0) / 1000;
  t0 = performance.now();
  let m = 0;
  for (const t of all) m += bpe.encode(t).length;
  const bpeS = (performance.now() - t0) / 1000;
  fs.rmSync(dir, { recursive: true, force: true });
  const r: IngestResult = {
    mb: +MB.toFixed(1),
    read_mb_per_s: +(MB / readS).toFixed(1),
    char_mb_per_s: +(MB / charS).toFixed(1),
    bpe_train_seconds: +bpeTrainS.toFixed(2),
    bpe_encode_mb_per_s: +(MB / bpeS).toFixed(1),
  };
  log(
    `  ${r.mb} MB: read ${r.read_mb_per_s} MB/s; char vocab+encode ${r.char_mb_per_s} MB/s (${n} tokens); bpe 1024 trained on 4 MB in ${r.bpe_train_seconds} s, encode ${r.bpe_encode_mb_per_s} MB/s (${m} tokens)`,
  );
  return r;
}
