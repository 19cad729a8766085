/**
 * `npm run parity`: does SeqLab's engine learn as well as PyTorch? The same model and recipe
 * (char tokenizer, embedding 64, 2×256, T 64, batch 32, Adam lr 2e-3, clip 5, truncated BPTT with
 * carried state, same steps) on the same data and split, for rnn, lstm and gru, side by side.
 * Corpus: the Python standard library's sources from Debian's libpython3.11-stdlib package
 * (fetched with apt-get download, never committed), about 3 MB, split by file as training does.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../src/engine/wasm/backend';
import { CellKind, DEFAULT_TRAIN_CONFIG, mergeConfig } from '../src/engine/config';
import { readCorpus } from '../src/engine/corpus';
import { CharTokenizer, concatIds } from '../src/engine/tokenizers';
import { train } from '../src/engine/trainer';
import { tmpDir } from '../test/helpers/util';
import { forecastParity } from './parityForecast';
import { runTorch, torchUnavailable } from './torch';
import { parityClassify } from './parityClassify';
import { paritySeq2seq } from './paritySeq2seq';

/** Which parts run: PARITY_ONLY=lm,classify,forecast,seq2seq (default all four). */
const ONLY = new Set((process.env.PARITY_ONLY ?? 'lm,classify,forecast,seq2seq').split(','));

const STEPS = Number(process.env.PARITY_STEPS ?? 300);
const CELLS = (process.env.PARITY_CELLS ?? 'rnn,lstm,gru').split(',') as CellKind[];
const CORPUS_BYTES = Number(process.env.PARITY_CORPUS_MB ?? 3) * 2 ** 20;
const PACKAGE = 'libpython3.11-stdlib';
/** What bench/torch_lm.py does too (its defaults): keep the two in step. */
const RECIPE = {
  embedding: 64,
  hidden: 256,
  layers: 2,
  seqLen: 64,
  batch: 32,
  optimizer: 'adam',
  lr: 2e-3,
  clip: 5,
} as const;

/** Unpacks the package's .py files into a flat folder (names keep their path), up to CORPUS_BYTES. */
function buildCorpus(): string {
  const base = path.join(os.tmpdir(), 'seqlab-parity');
  const corpus = path.join(base, 'corpus');
  if (fs.existsSync(path.join(corpus, '.complete'))) return corpus;
  fs.rmSync(base, { recursive: true, force: true });
  fs.mkdirSync(corpus, { recursive: true });
  execFileSync('apt-get', ['download', PACKAGE], { cwd: base, stdio: 'pipe' });
  const deb = fs.readdirSync(base).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${PACKAGE} produced no .deb`);
  execFileSync('dpkg-deb', ['-x', deb, 'x'], { cwd: base });
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.py')) files.push(p);
    }
  };
  walk(path.join(base, 'x'));
  let total = 0;
  for (const f of files) {
    const size = fs.statSync(f).size;
    if (size > 200_000) continue;
    if (total + size > CORPUS_BYTES) break;
    const name = path.relative(path.join(base, 'x'), f).replace(/[\\/]/g, '__');
    fs.copyFileSync(f, path.join(corpus, name));
    total += size;
  }
  fs.writeFileSync(path.join(corpus, '.complete'), `${total}\n`);
  return corpus;
}

async function main(): Promise<void> {
  if (ONLY.has('forecast')) await forecastParity();
  if (ONLY.has('seq2seq')) await paritySeq2seq();
  const noTorch = torchUnavailable();
  if (noTorch) {
    console.log(`parity skipped: ${noTorch}`);
    return;
  }
  if (ONLY.has('classify')) await parityClassify();
  if (!ONLY.has('lm')) return;
  let folder: string;
  try {
    folder = buildCorpus();
  } catch (err) {
    console.log(
      `parity skipped: could not fetch ${PACKAGE} with apt-get download (${(err as Error).message.split('\n')[0]})`,
    );
    return;
  }
  await initBackend('wasm');
  const valFraction = 0.1;
  // The split and the tokens, exactly as the trainer makes them, handed to PyTorch as ids.
  const corpus = readCorpus(folder, { valFraction });
  const tok = CharTokenizer.train(corpus.train);
  const data = tmpDir('seqlab-parity-data-');
  const trainIds = concatIds(corpus.train.map((t) => tok.encode(t)));
  const valIds = concatIds(corpus.val.map((t) => tok.encode(t)));
  fs.writeFileSync(path.join(data, 'train.bin'), Buffer.from(trainIds.buffer));
  fs.writeFileSync(path.join(data, 'val.bin'), Buffer.from(valIds.buffer));
  fs.writeFileSync(
    path.join(data, 'meta.json'),
    JSON.stringify({ vocabSize: tok.vocabSize, valChars: corpus.valChars }),
  );
  console.log(
    `corpus: ${corpus.files.length} files of ${PACKAGE}, ${corpus.trainChars} train / ${corpus.valChars} validation characters, vocab ${tok.vocabSize}; ${STEPS} steps of 32×64 tokens per cell`,
  );
  const rows: Record<
    string,
    { seqlab_bpc: number; torch_bpc: number; ratio: number; seqlab_seconds: number; torch_seconds: number }
  > = {};
  let blas = '';
  for (const cell of CELLS) {
    const t0 = Date.now();
    const r = await train({
      folder,
      out: tmpDir('seqlab-parity-run-'),
      config: mergeConfig(DEFAULT_TRAIN_CONFIG, {
        model: {
          cell,
          embedding: RECIPE.embedding,
          hidden: RECIPE.hidden,
          layers: RECIPE.layers,
          dropout: 0,
        },
        tokenizer: 'char',
        seqLen: RECIPE.seqLen,
        batch: RECIPE.batch,
        optimizer: RECIPE.optimizer,
        lr: RECIPE.lr,
        clip: RECIPE.clip,
        steps: STEPS,
        evalEvery: STEPS,
        evalTokens: 1e9,
        sampleLength: 0,
        gradEvery: 0,
        valFraction,
        seed: 1,
      }),
    });
    const seqlabSeconds = (Date.now() - t0) / 1000;
    const t = runTorch(['parity', '--cell', cell, '--data', data, '--steps', String(STEPS)]);
    blas = t.blas;
    rows[cell] = {
      seqlab_bpc: +r.bpc!.toFixed(4),
      torch_bpc: +t.val_bpc!.toFixed(4),
      ratio: +(r.bpc! / t.val_bpc!).toFixed(4),
      seqlab_seconds: Math.round(seqlabSeconds),
      torch_seconds: Math.round(t.seconds!),
    };
    console.log(
      `  ${cell}: SeqLab ${r.bpc!.toFixed(3)} bpc, PyTorch ${t.val_bpc!.toFixed(3)} bpc (×${rows[cell].ratio.toFixed(3)}); ${rows[cell].seqlab_seconds} s vs ${rows[cell].torch_seconds} s`,
    );
  }
  console.log(`PyTorch BLAS: ${blas}${/openblas/i.test(blas) ? ' (OpenBLAS)' : ' — NOT OpenBLAS'}`);
  console.log('\ncell   SeqLab bpc   PyTorch bpc   SeqLab/PyTorch   within 3%');
  for (const [cell, x] of Object.entries(rows))
    console.log(
      `${cell.padEnd(6)} ${x.seqlab_bpc.toFixed(3).padStart(10)} ${x.torch_bpc.toFixed(3).padStart(13)} ${x.ratio.toFixed(3).padStart(16)} ${Math.abs(x.ratio - 1) <= 0.03 ? 'yes' : 'NO'}`.padEnd(
        0,
      ),
    );
  const file = path.resolve(__dirname, '../../bench/parity.json');
  fs.writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        corpus: {
          package: PACKAGE,
          files: corpus.files.length,
          trainChars: corpus.trainChars,
          valChars: corpus.valChars,
          vocab: tok.vocabSize,
        },
        recipe: { ...RECIPE, steps: STEPS },
        torch_blas: blas,
        bpc: rows,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`\nwrote ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
