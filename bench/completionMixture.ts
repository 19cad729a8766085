/**
 * Completion latency of the model mixed with its run's n-gram (what the extension shows once the
 * n-gram is built), beside the latency section's rows: the same reference LSTM (vocab 96,
 * embedding 64, 2×256, the same seeded weights) on the shipped fast path (two threads where
 * there are two cores), the same cold and keystroke measures, mixed with the 8-gram of a real
 * corpus: the training split of node_modules' READMEs (as the keystroke section reads them).
 * Also the n-gram's build time and size, against the reference Map implementation's.
 */
import fg from 'fast-glob';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import * as vm from 'vm';
import { DEFAULT_NGRAM_ORDER } from '../src/engine/completion/evaluate';
import { completionMixture } from '../src/engine/completion/mixture';
import { CharNgramModel } from '../src/engine/completion/ngram';
import { ReferenceCharNgramModel } from '../src/engine/completion/ngramReference';
import { readCorpus } from '../src/engine/corpus';
import { Completer } from '../src/engine/inference/completer';
import { FastInferenceModel } from '../src/engine/inference/fastModel';
import { initWeights } from '../src/engine/model/model';
import { tmpDir } from '../test/helpers/util';
import { median, referenceCharModel, ungatedOptions } from './reference';

const CONTEXT = 256;
const GENERATE = 32;

export interface MixtureLatencyBench {
  cold_ms: number;
  keystroke_ms: number;
  /** The n-gram: its training text, build time and table bytes; the reference's, for comparison. */
  ngram: {
    order: number;
    chars: number;
    build_s: number;
    mb: number;
    distribution_us: number;
    reference_build_s: number;
    reference_mb: number;
    reference_distribution_us: number;
  };
}

/** The training split of node_modules' READMEs, read as `complete-eval` reads a folder. */
function readmeTrainText(): string {
  const root = path.resolve(__dirname, '../../node_modules');
  const files = fg.sync('**/{README,Readme,readme}.md', { cwd: root, followSymbolicLinks: false, deep: 4 });
  const dir = tmpDir('seqlab-bench-mix-readmes-');
  for (const f of files.sort()) fs.copyFileSync(path.join(root, f), path.join(dir, f.replace(/\//g, '__')));
  return readCorpus(dir, { valFraction: 0.1 }).train.join('');
}

/** A full collection before each memory reading, without asking for node --expose-gc. */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const heap = (): number => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** Seconds to build, MB held (heap and array buffers, after a full collection), µs per distribution. */
function measure(
  make: () => { distribution(b: string, out?: Float64Array): Float64Array; vocab: string[] },
  text: string,
) {
  const m0 = heap();
  const t0 = performance.now();
  const g = make();
  const build = (performance.now() - t0) / 1000;
  const mb = (heap() - m0) / 2 ** 20;
  const out = new Float64Array(g.vocab.length);
  for (let i = 100; i < 2100; i++) g.distribution(text.slice(i - 16, i), out);
  const t1 = performance.now();
  const n = 20000;
  for (let i = 3000; i < 3000 + n; i++) g.distribution(text.slice(i - 16, i), out);
  return { g, build, mb, us: ((performance.now() - t1) * 1000) / n };
}

export function benchMixtureLatency(rounds: number, log: (s: string) => void): MixtureLatencyBench {
  const text = readmeTrainText();
  const order = DEFAULT_NGRAM_ORDER;
  const ref = measure(() => new ReferenceCharNgramModel(text, order), text);
  ref.g = undefined as never;
  const fast = measure(() => new CharNgramModel(text, order), text);
  const ngram = fast.g as CharNgramModel;
  log(
    `  ${order}-gram of ${text.length} characters: built in ${fast.build.toFixed(2)} s, ${fast.mb.toFixed(1)} MB, ${fast.us.toFixed(1)} µs a distribution (reference Maps: ${ref.build.toFixed(2)} s, ${ref.mb.toFixed(0)} MB, ${ref.us.toFixed(1)} µs)`,
  );

  const { tok, config } = referenceCharModel();
  const threads = os.cpus().length >= 2 ? 2 : 1;
  const inner = new FastInferenceModel(config, initWeights(config, 7), { threads });
  const mix = completionMixture(inner, tok, ngram);
  // Typed text from the corpus (printable ASCII, as the model's vocabulary), so the n-gram's
  // contexts are real ones.
  const typed = text.replace(/[^\x20-\x7e]/g, ' ').slice(50000, 50000 + CONTEXT + 4000);
  const context = typed.slice(0, CONTEXT);
  const o = ungatedOptions(GENERATE);
  const warm = new Completer(mix, tok);
  warm.suggestion(warm.greedyPieces('warm', context, 0, o), context, o);
  const cold: number[] = [];
  const keys: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const c = new Completer(mix, tok);
    const t0 = performance.now();
    c.suggestion(c.greedyPieces(`cold${r}`, context, 0, o), context, o);
    cold.push(performance.now() - t0);
    const kc = new Completer(mix, tok);
    kc.sync('k', context, 0, 512);
    const n = 400;
    const t1 = performance.now();
    for (let i = 1; i <= n; i++) kc.sync('k', typed.slice(0, CONTEXT + i), 0, 512);
    keys.push((performance.now() - t1) / n);
  }
  mix.dispose();
  return {
    cold_ms: +median(cold).toFixed(2),
    keystroke_ms: +median(keys).toFixed(4),
    ngram: {
      order,
      chars: text.length,
      build_s: +fast.build.toFixed(3),
      mb: +fast.mb.toFixed(1),
      distribution_us: +fast.us.toFixed(2),
      reference_build_s: +ref.build.toFixed(3),
      reference_mb: +ref.mb.toFixed(1),
      reference_distribution_us: +ref.us.toFixed(2),
    },
  };
}
