import * as fs from 'fs';
import * as os from 'os';
import { requireTask } from '../tasks/kinds';
import * as path from 'path';
import { loadCheckpoint } from '../checkpoint';
import { SeqLabError } from '../errors';
import { FastInferenceModel, simdKernelAvailable } from '../inference/fastModel';
import { InferenceModel, type StepModel } from '../inference/stepModel';
import type { ModelConfig } from '../config';
import type { Weights } from '../model/shapes';
import { tokenizerFromJSON } from '../tokenizers';
import { BackendName, initBackend } from '../wasm/backend';
import { completionHelperOff } from '../wasm/switches';
import { parseUnit, rankUnits, unitName, unitSeries, type UnitCorrelation, type UnitRef } from './correlate';
import { FEATURE_LABELS, type FeatureName } from './features';
import { gateSaturation, type GateSaturation } from './gates';
import { inspectText, type TextInspection } from './inspectText';
import { meanSurprisalBits } from './trace';

/**
 * How long the inspection waits for a helper thread's block before giving the helper up (ms): a
 * stall of a second or more on a busy machine is not a dead helper, and a model that gave its
 * helper up runs every later inspection on one thread.
 */
const INSPECT_PATIENCE_MS = 10_000;

/**
 * The fast SIMD path where the runtime has it (the same results to float rounding), else plain JS;
 * on two threads where there are two cores, as completion (the same results bit for bit). The
 * caller disposes of it (its helper thread).
 */
export function inspectionModel(config: ModelConfig, weights: Weights): StepModel {
  const threads = os.cpus().length >= 2 && !completionHelperOff() ? 2 : 1;
  // Neither thread spins for the other between blocks (≈1–3 ms apart): where the machine's other
  // core is taken, a spinning thread would take the only one (measured: 1.1× one thread's time
  // instead of 1.3× with 0.5 ms spins; no slower where both cores are free).
  return simdKernelAvailable()
    ? new FastInferenceModel(config, weights, { threads, blockSpinMs: 0, patienceMs: INSPECT_PATIENCE_MS })
    : new InferenceModel(config, weights);
}

/** A unit named on the command line, or a SeqLabError naming --units. */
function unitOf(s: string, model: ModelConfig, trace: Pick<TextInspection['trace'], 'config'>): UnitRef {
  const u = parseUnit(s, trace);
  if (!u)
    throw new SeqLabError(
      'E_BAD_UNIT',
      `No unit "${s}" in this model (${model.layers} layer(s) of ${model.hidden} units, cell ${model.cell})`,
      '--units',
      'Name units as an index into layer 0 (12), or layer and kind: h1.40, c0.3 (c only for LSTM).',
    );
  return u;
}

/** Each token's text, span, surprisal and the chosen units' activations. */
function positionsOf(text: string, ins: TextInspection, units: UnitRef[]): PositionReport[] {
  const { trace, spans } = ins;
  const series = units.map((u) => [unitName(u), unitSeries(trace, u)] as const);
  const positions: PositionReport[] = [];
  for (let t = 0; t < trace.tokens.length; t++)
    positions.push({
      t,
      text: text.slice(spans.starts[t], spans.ends[t]),
      start: spans.starts[t],
      end: spans.ends[t],
      surprisal_bits: trace.surprisal[t],
      units: Object.fromEntries(series.map(([name, a]) => [name, a[t]])),
    });
  return positions;
}

export interface PositionReport {
  /** Token index, its text and where it lies in the file (UTF-16 offsets). */
  t: number;
  text: string;
  start: number;
  end: number;
  /** Bits the model needed for this token (position 0 is predicted from the zero state). */
  surprisal_bits: number;
  /** Activations of the units asked for, by name (h0.12, c1.40). */
  units: Record<string, number>;
}

export interface FileInspection {
  checkpoint: string;
  file: string;
  tokens: number;
  /** Mean bits per token over positions 1…n−1 (`seqlab eval`'s loss is this × ln 2 on one stream). */
  mean_surprisal_bits: number;
  positions: PositionReport[];
  /** Per feature that varies over the file: the best unit, its correlation, and the runners-up. */
  features: Partial<Record<FeatureName, { label: string; best: UnitCorrelation; top: UnitCorrelation[] }>>;
  saturation: GateSaturation[];
}

/** `seqlab inspect`: the whole inspection of one file with one checkpoint. */
export async function inspectFile(
  checkpoint: string,
  file: string,
  opts: { units?: string[]; regex?: RegExp; top?: number; backend?: BackendName } = {},
): Promise<FileInspection> {
  const data = loadCheckpoint(checkpoint);
  requireTask(checkpoint, data.manifest, 'lm', 'Inspecting a model over text');
  // Gate saturation runs as TF.js matrix products.
  await initBackend(opts.backend ?? 'wasm');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new SeqLabError(
      'E_NO_FILE',
      `Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      file,
      'Pass a readable text file.',
    );
  }
  const tok = tokenizerFromJSON(data.manifest.tokenizer);
  const model = inspectionModel(data.manifest.model, data.weights);
  try {
    const ins = inspectText(model, tok, text, { regex: opts.regex });
    const { trace } = ins;
    if (trace.tokens.length < 2)
      throw new SeqLabError(
        'E_NO_TEXT',
        `${file} has fewer than two tokens to inspect`,
        file,
        'Pass a longer file.',
      );
    const positions = positionsOf(
      text,
      ins,
      (opts.units ?? []).map((u) => unitOf(u, data.manifest.model, trace)),
    );
    const features: FileInspection['features'] = {};
    for (const r of rankUnits(trace, ins.features, opts.top ?? 5))
      if (r.top.length)
        features[r.feature] = { label: FEATURE_LABELS[r.feature], best: r.top[0], top: r.top };
    return {
      checkpoint: path.resolve(checkpoint),
      file: path.resolve(file),
      tokens: trace.tokens.length,
      mean_surprisal_bits: meanSurprisalBits(trace),
      positions,
      features,
      saturation: gateSaturation(trace, data.weights),
    };
  } finally {
    model.dispose?.();
  }
}
