/**
 * Inspection speed on the reference LSTM (vocab 96, embedding 64, 2×256) over a 10,000-character
 * document: the whole inspection the editor runs (trace with surprisal and top-5, features, unit
 * ranking and sparklines for the Units view) cold, on the model the editor uses (two threads
 * where there are two cores) and on one thread, with the CPU time of all threads beside the wall
 * time (the development machine is shared; BENCH_INSPECT_JS=0 skips the slow plain-JS row),
 * then what an edit costs (the editor re-inspects from the changed token on), gate saturation
 * and one saliency window, which the views compute on demand.
 */
import * as os from 'os';
import { FastInferenceModel } from '../src/engine/inference/fastModel';
import { InferenceModel, type StepModel } from '../src/engine/inference/stepModel';
import { gateSaturation } from '../src/engine/inspect/gates';
import { inspectText, type TextInspection } from '../src/engine/inspect/inspectText';
import { inspectionModel } from '../src/engine/inspect/report';
import { saliency } from '../src/engine/inspect/saliency';
import { unitsView } from '../src/engine/inspect/summary';
import { initWeights } from '../src/engine/model/model';
import { codeDocument, median, PRINTABLE, referenceCharModel } from './reference';

const DOC = 10_000;

export interface InspectBench {
  chars: number;
  /** Whole inspection (trace + features + Units view), cold, per model path (ms). */
  cold_ms: Record<string, number>;
  /** The same, CPU time of this process (ms): what other jobs on the machine inflate less. */
  cold_cpu_ms: Record<string, number>;
  /** Whole inspection of a second document (no previous inspection) once the editor's model is
   * loaded and its helper thread started: wall and CPU ms. */
  new_document_ms: number;
  new_document_cpu_ms: number;
  /** Re-inspection after one typed character in the middle / at the end (ms, the editor's model
   * taking over the previous inspection's buffers, as the editor does). */
  edit_middle_ms: number;
  edit_end_ms: number;
  saturation_ms: number;
  saliency_ms: number;
}

/** Gate saturation and saliency run on the TF.js backend main() set up (wasm). */
export async function benchInspect(rounds: number, log: (s: string) => void): Promise<InspectBench> {
  const { tok, config } = referenceCharModel(PRINTABLE + '\n');
  const weights = initWeights(config, 1);
  const text = codeDocument(DOC);
  const whole = (m: StepModel, t: string, previous?: TextInspection) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    // As the editor: a re-inspection takes over the previous inspection's buffers.
    const ins = inspectText(m, tok, t, { previous, takeOver: true });
    unitsView(ins);
    const cpu = process.cpuUsage(c0);
    return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, ins };
  };
  // What the editor runs (2 threads where there are 2 cores), then one thread for comparison.
  const shipped = os.cpus().length >= 2 ? 'fast2' : 'fast';
  const paths: [string, () => StepModel][] = [
    ['fast2', () => inspectionModel(config, weights)],
    ['fast', () => new FastInferenceModel(config, weights)],
    ['js', () => new InferenceModel(config, weights)],
  ];
  const skipped = (name: string) =>
    (name === 'fast2' && shipped !== 'fast2') || (name === 'js' && process.env.BENCH_INSPECT_JS === '0');
  const cold: Record<string, number[]> = {};
  const coldCpu: Record<string, number[]> = {};
  const mid: number[] = [];
  const end: number[] = [];
  const other: { ms: number; cpuMs: number }[] = [];
  for (let r = 0; r < rounds; r++)
    for (const [name, make] of paths) {
      if (skipped(name) || (name === 'js' && r > 0)) continue; // js: seconds per run, once places it
      const m = make();
      // Cold: a new model (its helper thread still starting, as in the editor) on a new document.
      const first = whole(m, text);
      (cold[name] ??= []).push(first.ms);
      (coldCpu[name] ??= []).push(first.cpuMs);
      if (name === shipped) {
        other.push(whole(m, codeDocument(DOC + 1).slice(1)));
        const half = DOC / 2;
        const edited = whole(m, text.slice(0, half) + 'x' + text.slice(half), first.ins);
        mid.push(edited.ms);
        const back = whole(m, text, edited.ins);
        end.push(whole(m, text + 'x', back.ins).ms);
      }
      m.dispose?.();
    }
  const base = whole(new FastInferenceModel(config, weights), text).ins;
  let t0 = performance.now();
  gateSaturation(base.trace, weights);
  const saturationMs = performance.now() - t0;
  t0 = performance.now();
  saliency(base.trace, weights, DOC - 1);
  const saliencyMs = performance.now() - t0;
  const out: InspectBench = {
    chars: DOC,
    cold_ms: Object.fromEntries(Object.entries(cold).map(([k, v]) => [k, +median(v).toFixed(1)])),
    cold_cpu_ms: Object.fromEntries(Object.entries(coldCpu).map(([k, v]) => [k, +median(v).toFixed(1)])),
    new_document_ms: +median(other.map((o) => o.ms)).toFixed(1),
    new_document_cpu_ms: +median(other.map((o) => o.cpuMs)).toFixed(1),
    edit_middle_ms: +median(mid).toFixed(1),
    edit_end_ms: +median(end).toFixed(2),
    saturation_ms: +saturationMs.toFixed(1),
    saliency_ms: +saliencyMs.toFixed(1),
  };
  const label: Record<string, string> = { fast2: 'SIMD, 2 threads', fast: 'SIMD, 1 thread', js: 'plain JS' };
  log(`\nInspecting a ${DOC}-character document, reference LSTM (medians of ${rounds}):`);
  for (const [k, v] of Object.entries(out.cold_ms))
    log(
      `  whole inspection, ${label[k].padEnd(16)}${k === shipped ? ' (editor)' : '         '} ${v.toFixed(1).padStart(7)} ms (CPU ${out.cold_cpu_ms[k].toFixed(1)} ms)`,
    );
  log(
    `  another document, the editor's model loaded: ${out.new_document_ms} ms (CPU ${out.new_document_cpu_ms} ms)`,
  );
  log(
    `  after a keystroke mid-document ${out.edit_middle_ms} ms, at the end ${out.edit_end_ms} ms (editor's model)`,
  );
  log(`  gate saturation ${out.saturation_ms} ms, saliency (200-token window) ${out.saliency_ms} ms`);
  return out;
}
