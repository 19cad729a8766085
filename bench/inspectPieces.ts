/**
 * The parts of an inspection besides the recurrence's products, on the reference LSTM (vocab 96,
 * embedding 64, 2×256) over a 10,000-character code file: the Units view (unit ranking and
 * sparklines; SIMD sums, and the ranking's plain-JS sums for comparison), and the inference
 * kernel's LSTM gate math over as many unit updates as the trace makes (2 layers × 10,000 tokens).
 */
import { FastInferenceModel } from '../src/engine/inference/fastModel';
import { FEATURE_NAMES } from '../src/engine/inspect/features';
import { inspectText } from '../src/engine/inspect/inspectText';
import { unitsView } from '../src/engine/inspect/summary';
import { featureSums, sumPlan } from '../src/engine/inspect/unitSums';
import { initWeights } from '../src/engine/model/model';
import { KERNEL_WASM_BASE64 } from '../src/engine/wasm/inferenceKernelWasm';
import { codeDocument, median, PRINTABLE, referenceCharModel } from './reference';

const DOC = 10_000;

export interface InspectPiecesBench {
  /** unitsView: the ranking of every h and c unit against the text features, and the sparklines (ms). */
  units_view_ms: number;
  /** The ranking's sums over the 4 unit sources on the plain-JS path (where SIMD is missing) (ms). */
  unit_sums_js_ms: number;
  /** lstm_cell over 2 × 10,000 steps of 256 units (ms). */
  lstm_cell_ms: number;
}

const timed = (rounds: number, f: () => void): number =>
  median(
    Array.from({ length: rounds }, () => {
      const t0 = performance.now();
      f();
      return performance.now() - t0;
    }),
  );

export function benchInspectPieces(rounds: number, log: (s: string) => void): InspectPiecesBench {
  const { tok, config } = referenceCharModel(PRINTABLE + '\n');
  const model = new FastInferenceModel(config, initWeights(config, 1));
  const ins = inspectText(model, tok, codeDocument(DOC));
  model.dispose?.();
  const { trace, features } = ins;
  const n = trace.tokens.length;
  const H = config.hidden;
  const feats = FEATURE_NAMES.map((k) => features[k]).filter((f) => f.some((v) => v !== f[0]));
  const plan = sumPlan(feats, n);
  const sources = [...trace.hidden, ...trace.cell];
  const units = timed(rounds + 2, () => unitsView(ins));
  const js = timed(rounds, () => sources.forEach((a) => featureSums(a, H, plan, false)));
  // The cell alone, on zeroed pre-activations: its cost does not depend on the values.
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const k = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(KERNEL_WASM_BASE64, 'base64')), {
    env: { memory },
  }).exports as unknown as {
    lstm_cell(zx: number, zh: number, c: number, h: number, n: number, stride: number): void;
  };
  const G = 4 * H * 4;
  const cell = timed(rounds, () => {
    for (let t = 0; t < 2 * n; t++) k.lstm_cell(0, G, 2 * G, 2 * G + H * 4, H, H);
  });
  const out = {
    units_view_ms: +units.toFixed(1),
    unit_sums_js_ms: +js.toFixed(1),
    lstm_cell_ms: +cell.toFixed(1),
  };
  log(`\nInspection pieces, ${DOC}-character document, reference LSTM (medians):`);
  log(
    `  Units view (ranking and sparklines) ${out.units_view_ms} ms; the ranking's sums in plain JS ${out.unit_sums_js_ms} ms`,
  );
  log(`  LSTM gate math, ${2 * n} steps of ${H} units: ${out.lstm_cell_ms} ms`);
  return out;
}
