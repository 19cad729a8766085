/**
 * `npm run bench`: training throughput of SeqLab's engine against the equivalent tf.layers model
 * on the same backend and against PyTorch on the CPU (bench/torch_lm.py), side by side and
 * interleaved (the machine is noisy), reporting medians; then completion latency, corpus ingest
 * speed and the peak memory of a training run.
 * Reference config: character LM, vocab 96, embedding 64, 2 layers of 256, T 64, batch 32, Adam.
 */
import { benchWebgpu } from './webgpu';
import { benchForecast } from './parityForecast';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../src/engine/wasm/backend';
import { DEFAULT_TRAIN_CONFIG, mergeConfig, CellKind } from '../src/engine/config';
import { train } from '../src/engine/trainer';
import { tmpDir } from '../test/helpers/util';
import {
  benchCompletion,
  benchKeystrokes,
  KEYSTROKE_CACHE_DIR,
  KEYSTROKE_SECONDS,
  printKeystrokes,
} from './completion';
import { benchMixtureLatency } from './completionMixture';
import { benchIngest } from './ingest';
import { benchShard } from './shard';
import { benchInspect } from './inspect';
import { benchInspectPieces } from './inspectPieces';
import { runTorch, torchUnavailable } from './torch';
import { benchClassify } from './parityClassify';
import { benchSeq2seq } from './seq2seq';
import { benchTfLayers } from './tflayers';
import { benchTorchEngine } from './torchEngine';
import { median } from './reference';

const V = 96,
  E = 64,
  H = 256,
  L = 2,
  T = 64,
  B = 32;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ENGINE_STEPS = Number(process.env.BENCH_ENGINE_STEPS ?? 8);
const LAYERS_STEPS = Number(process.env.BENCH_LAYERS_STEPS ?? 2);
const CELLS = (process.env.BENCH_CELLS ?? 'lstm,gru,rnn').split(',') as CellKind[];
const TORCH_STEPS = Number(process.env.BENCH_TORCH_STEPS ?? 12);
/** Sections to run (default all); BENCH_ONLY=a,b picks some. */
const SECTIONS = [
  'train',
  'completion',
  'keystrokes',
  'ingest',
  'rss',
  'webgpu',
  'torch-engine',
  'shard',
  'classify',
  'seq2seq',
  'inspect',
  'inspect-pieces',
];
const ONLY = new Set((process.env.BENCH_ONLY ?? SECTIONS.join(',')).split(','));

/** A corpus with exactly V distinct characters, long enough for the steps. */
function makeCorpus(): string {
  const dir = tmpDir('seqlab-bench-');
  const chars = Array.from({ length: V - 1 }, (_, i) => String.fromCharCode(32 + i)).join('');
  let s = 1;
  let text = chars;
  while (text.length < (ENGINE_STEPS + 2) * B * T + 2 * B * T) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    text += chars[s % chars.length];
  }
  fs.writeFileSync(path.join(dir, 'corpus.txt'), text);
  return dir;
}

async function benchEngine(folder: string, cell: CellKind): Promise<number> {
  const tps: number[] = [];
  await train({
    folder,
    out: tmpDir('seqlab-bench-out-'),
    config: mergeConfig(DEFAULT_TRAIN_CONFIG, {
      model: { cell, embedding: E, hidden: H, layers: L, dropout: 0 },
      seqLen: T,
      batch: B,
      steps: ENGINE_STEPS + 1,
      evalEvery: 1e6,
      sampleLength: 0,
      gradEvery: 0,
      valFraction: 0,
    }),
    onEvent: (e) => {
      if (e.type === 'step' && e.step > 1) tps.push(e.tokensPerSec);
    },
  });
  // Steady state: the harmonic mean of per-step rates is total tokens over total time.
  return tps.length / tps.reduce((a, r) => a + 1 / r, 0);
}

async function main(): Promise<void> {
  const backend = await initBackend('wasm');
  const folder = makeCorpus();
  console.log(
    `SeqLab bench — backend ${backend.name} (engine: ${backend.threads} thread(s)${backend.threadsReason ? `: ${backend.threadsReason}` : ''}; tf.layers: stock wasm, 1 thread), vocab ${V}, embedding ${E}, ${L}×${H}, T ${T}, batch ${B}; ${ROUNDS} interleaved rounds, medians`,
  );
  const engine: Record<string, number[]> = {};
  const layers: Record<string, number[]> = {};
  const torch: Record<string, number[]> = {};
  const noTorch = ONLY.has('train') ? torchUnavailable() : 'not asked for';
  let blas = '';
  if (ONLY.has('train'))
    console.log(
      noTorch
        ? `PyTorch column skipped: ${noTorch}. (npm run bench installs python3-torch with apt when it runs as root.)`
        : 'PyTorch: Debian python3-torch, 2 threads, OMP_WAIT_POLICY=PASSIVE',
    );
  for (let r = 0; r < (ONLY.has('train') ? ROUNDS : 0); r++) {
    for (const cell of CELLS) {
      (engine[cell] ??= []).push(await benchEngine(folder, cell));
      (layers[cell] ??= []).push(await benchTfLayers(cell, V, E, H, L, T, B, LAYERS_STEPS));
      let line = `  round ${r + 1} ${cell}: engine ${Math.round(engine[cell][r])} tok/s, tf.layers ${Math.round(layers[cell][r])} tok/s`;
      if (!noTorch) {
        const t = runTorch(['speed', '--cell', cell, '--steps', String(TORCH_STEPS)]);
        (torch[cell] ??= []).push(t.tokens_per_s!);
        blas = t.blas;
        line += `, PyTorch ${Math.round(t.tokens_per_s!)} tok/s`;
      }
      console.log(line);
    }
  }
  if (blas)
    console.log(
      /openblas/i.test(blas)
        ? `PyTorch used OpenBLAS: ${blas}`
        : `WARNING: PyTorch did not load OpenBLAS (BLAS in use: ${blas}); its figures are not the reference`,
    );
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    backend: backend.name,
    engine_threads: backend.threads,
    config: { vocab: V, embedding: E, hidden: H, layers: L, seqLen: T, batch: B, optimizer: 'adam' },
    rounds: ROUNDS,
  };
  if (ONLY.has('train')) {
    results.engine_tokens_per_s = {};
    results.tflayers_tokens_per_s = {};
    results.engine_over_tflayers = {};
    if (!noTorch) {
      results.torch_tokens_per_s = {};
      results.engine_over_torch = {};
      results.torch_blas = blas;
    } else results.torch_skipped = noTorch;
    console.log(
      '\ncell   engine tok/s   tf.layers tok/s   PyTorch tok/s   engine/tf.layers   engine/PyTorch',
    );
  }
  for (const cell of ONLY.has('train') ? CELLS : []) {
    const a = median(engine[cell]);
    const b = median(layers[cell]);
    const c = noTorch ? NaN : median(torch[cell]);
    (results.engine_tokens_per_s as Record<string, number>)[cell] = Math.round(a);
    (results.tflayers_tokens_per_s as Record<string, number>)[cell] = Math.round(b);
    (results.engine_over_tflayers as Record<string, number>)[cell] = +(a / b).toFixed(2);
    if (!noTorch) {
      (results.torch_tokens_per_s as Record<string, number>)[cell] = Math.round(c);
      (results.engine_over_torch as Record<string, number>)[cell] = +(a / c).toFixed(3);
    }
    console.log(
      `${cell.padEnd(6)} ${String(Math.round(a)).padStart(12)} ${String(Math.round(b)).padStart(17)} ${(noTorch ? '–' : String(Math.round(c))).padStart(15)} ${(a / b).toFixed(1).padStart(17)}× ${(noTorch ? '–' : (a / c).toFixed(2) + '×').padStart(16)}`,
    );
  }
  if (ONLY.has('rss')) {
    const peaks: Record<string, number> = {};
    for (const cell of CELLS) {
      const out = execFileSync(process.execPath, [path.join(__dirname, 'rssChild.js'), folder, cell], {
        encoding: 'utf8',
      });
      peaks[cell] = Math.round(JSON.parse(out.trim().split('\n').pop()!).maxRssMB);
    }
    results.peak_rss_mb = peaks;
    console.log(
      `\nPeak RSS of a training run on the reference config (whole process): ${JSON.stringify(peaks)} MB`,
    );
  }
  if (ONLY.has('torch-engine')) results.torch_engine = await benchTorchEngine((l) => console.log(`\n${l}`));
  if (ONLY.has('shard')) results.shard = benchShard((l) => console.log(`\nCorpus bigger than memory: ${l}`));
  if (ONLY.has('forecast')) results.forecast = await benchForecast();
  if (ONLY.has('ingest')) {
    const mb = Number(process.env.BENCH_INGEST_MB ?? 50);
    console.log(`\nCorpus ingest (${mb} MB generated, read + tokenizer + encode):`);
    results.ingest = benchIngest(mb, console.log);
  }
  if (ONLY.has('completion')) {
    const rounds = Number(process.env.BENCH_COMPLETION_ROUNDS ?? 9);
    console.log(`\nCompletion latency, reference LSTM, ${rounds} interleaved rounds (medians):`);
    const c = benchCompletion(rounds, console.log);
    // What the extension runs: two threads where there are two cores.
    const shipped = os.cpus().length >= 2 ? 'fast2' : 'fast';
    results.completion_cold_ms = c.cold_ms[shipped];
    results.completion_keystroke_ms = c.keystroke_ms[shipped];
    results.completion = c;
    const mix = benchMixtureLatency(rounds, console.log);
    c.cold_ms.mixture = mix.cold_ms;
    c.keystroke_ms.mixture = mix.keystroke_ms;
    results.completion_mixture = mix;
    console.log('path                 cold (256 + 32 chars)   one keystroke');
    for (const [k, name] of [
      ['fast2', 'wasm SIMD, 2 threads'],
      ['fast', 'wasm SIMD, 1 thread'],
      ['tfops', 'TF.js ops (wasm)'],
      ['js', 'plain JS'],
      ['mixture', `+ ${mix.ngram.order}-gram (shipped)`],
    ])
      console.log(
        `${name.padEnd(20)} ${c.cold_ms[k].toFixed(1).padStart(13)} ms ${c.keystroke_ms[k].toFixed(3).padStart(13)} ms`,
      );
    console.log(
      `fast path (${shipped === 'fast2' ? '2 threads' : '1 thread'}, as shipped) vs TF.js ops: cold ${(c.cold_ms.tfops / c.cold_ms[shipped]).toFixed(1)}× faster, keystroke ${(c.keystroke_ms.tfops / c.keystroke_ms[shipped]).toFixed(1)}× faster`,
    );
  }
  if (ONLY.has('webgpu')) {
    console.log('\nTF.js on WebGPU (Dawn):');
    results.webgpu = benchWebgpu(console.log);
  }
  if (ONLY.has('classify')) results.classify = await benchClassify();
  if (ONLY.has('seq2seq')) results.seq2seq = await benchSeq2seq();
  if (ONLY.has('keystrokes')) {
    const seconds = Number(process.env.BENCH_KEYSTROKE_SECONDS ?? KEYSTROKE_SECONDS);
    console.log(
      `\nCompletion usefulness: the reference LSTM trained ${seconds} s on node_modules' READMEs, typing held-out ones (test part):`,
    );
    const k = await benchKeystrokes(
      seconds,
      console.log,
      process.env.BENCH_KEYSTROKE_CHECKPOINT ?? KEYSTROKE_CACHE_DIR,
    );
    results.completion_keystrokes_saved = +k.shipped.keystrokesSaved.toFixed(4);
    results.completion_ngram_keystrokes_saved = +k.ngram.keystrokesSaved.toFixed(4);
    results.completion_keystrokes = k;
    printKeystrokes(k, console.log);
  }
  if (ONLY.has('inspect')) results.inspect = await benchInspect(ROUNDS, console.log);
  if (ONLY.has('inspect-pieces')) results.inspect_pieces = benchInspectPieces(ROUNDS, console.log);
  const file = path.resolve(__dirname, '../../bench/results.json');
  let previous: Record<string, unknown> = {};
  try {
    previous = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    previous = {};
  }
  fs.writeFileSync(file, JSON.stringify({ ...previous, ...results }, null, 2) + '\n');
  console.log(`\nwrote ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
