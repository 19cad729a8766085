/**
 * Completion latency on the reference LSTM (vocab 96, embedding 64, 2×256), side by side:
 * the WebAssembly SIMD fast path (what the extension uses), TF.js ops token by token, and the
 * plain-JS reference path. Cold: a 256-character context, then 32 greedy characters. Keystroke:
 * bringing a document's state up to date after one typed character.
 */
import { ModelConfig } from '../src/engine/config';
import { InferenceModel, pickToken, StepModel } from '../src/engine/inference/stepModel';
import { Completer, DEFAULT_COMPLETE_OPTIONS } from '../src/engine/inference/completer';
import { FastInferenceModel } from '../src/engine/inference/fastModel';
import { Rng } from '../src/engine/rng';
import { initWeights } from '../src/engine/model/model';
import { CharTokenizer } from '../src/engine/tokenizers';
import { TfOpsLstm } from './tfops';

const CONTEXT = 256;
const GENERATE = 32;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export interface CompletionBench {
  cold_ms: Record<string, number>;
  keystroke_ms: Record<string, number>;
}

/** Greedy: feed the context, then pick and feed GENERATE tokens. */
function coldRaw(m: StepModel, ids: Int32Array): number {
  const t0 = performance.now();
  const s = m.newState();
  for (const id of ids) m.step(s, id);
  const logits = new Float32Array(m.config.vocabSize);
  const rng = new Rng(1);
  for (let i = 0; i < GENERATE; i++) {
    m.logits(s, logits);
    m.step(s, pickToken(logits, { temperature: 0, topK: 0, topP: 0 }, rng));
  }
  return performance.now() - t0;
}

export function benchCompletion(rounds: number, log: (s: string) => void): CompletionBench {
  const chars = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
  const tok = CharTokenizer.train([chars]);
  const config: ModelConfig = {
    cell: 'lstm',
    activation: 'tanh',
    vocabSize: tok.vocabSize,
    embedding: 64,
    hidden: 256,
    layers: 2,
    dropout: 0,
  };
  const weights = initWeights(config, 7);
  let text = '';
  for (let i = 0; text.length < CONTEXT + 4000; i++) text += chars[(i * 7919) % 95];
  const context = text.slice(0, CONTEXT);
  const fast = new FastInferenceModel(config, weights);
  const fast2 = new FastInferenceModel(config, weights, { threads: 2 });
  const js = new InferenceModel(config, weights);
  const tfops = new TfOpsLstm(config, weights);
  const o = { ...DEFAULT_COMPLETE_OPTIONS, maxContext: 512, maxLength: GENERATE, multiline: true };
  const cold: Record<string, number[]> = { fast: [], fast2: [], tfops: [], js: [] };
  const keys: Record<string, number[]> = { fast: [], fast2: [], tfops: [], js: [] };
  const ids = tok.encode(context);
  coldRaw(fast, ids); // warm-up: compile and tier up
  coldRaw(fast2, ids);
  coldRaw(tfops, ids);
  tfops.reset();
  for (let r = 0; r < rounds; r++) {
    // The fast path as the extension runs it: a fresh document in a Completer.
    for (const [name, m] of [
      ['fast', fast],
      ['fast2', fast2],
    ] as const) {
      const c = new Completer(m, tok);
      const t0 = performance.now();
      c.complete(`cold${r}`, context, 0, o);
      cold[name].push(performance.now() - t0);
    }
    cold.tfops.push(coldRaw(tfops, ids));
    tfops.reset();
    if (r < 3) cold.js.push(coldRaw(js, ids));

    // Keystrokes: the state follows the text one character at a time.
    for (const [name, m] of [
      ['fast', fast],
      ['fast2', fast2],
      ['tfops', tfops],
      ['js', js],
    ] as const) {
      if (name === 'js' && r >= 3) continue;
      const kc = new Completer(m, tok);
      kc.sync('k', context, 0, 512);
      const n = name.startsWith('fast') ? 400 : 100;
      const t1 = performance.now();
      for (let i = 1; i <= n; i++) kc.sync('k', text.slice(0, CONTEXT + i), 0, 512);
      keys[name].push((performance.now() - t1) / n);
      if (m === tfops) tfops.reset();
    }
    log(
      `  round ${r + 1}: cold: fast ${cold.fast[r].toFixed(1)} ms, fast ×2 threads ${cold.fast2[r].toFixed(1)} ms, TF.js ops ${cold.tfops[r].toFixed(1)} ms; keystroke: fast ${keys.fast[r].toFixed(3)} ms, ×2 threads ${keys.fast2[r].toFixed(3)} ms, TF.js ops ${keys.tfops[r].toFixed(3)} ms`,
    );
  }
  const out: CompletionBench = { cold_ms: {}, keystroke_ms: {} };
  fast2.dispose();
  for (const k of ['fast', 'fast2', 'tfops', 'js']) {
    out.cold_ms[k] = +median(cold[k]).toFixed(2);
    out.keystroke_ms[k] = +median(keys[k]).toFixed(4);
  }
  return out;
}
