// The dashboard's System chart data: system events folded into columns (host and webview), merged
// when live samples arrive, and turned into the chart's lines. No DOM here, so tests can run it.
import type { SystemEvent } from '../engine/events';
import type { SeriesPatch, SystemPatch } from './protocol';

export function emptySystem(): SystemPatch {
  return { step: [], cpu: [], rssMB: [] };
}

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

/**
 * Appends one sample. GPU figures come from metrics.jsonl as the engine wrote them: an entry that
 * is not an object with a device number is skipped, and a figure that is not a number reads as a
 * gap (NaN), so one odd line never makes the webview refuse the run's whole patch.
 */
export function addSystemSample(s: SystemPatch, e: SystemEvent): void {
  s.step.push(e.step);
  s.cpu.push(e.cpuPercent);
  s.rssMB.push(e.rssMB);
  const n = s.step.length;
  if (Array.isArray(e.gpus))
    for (const g of e.gpus as unknown[]) {
      const index = (g as { index?: unknown } | null)?.index;
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) continue;
      const col = gpuColumn(s, String(index), n - 1);
      const x = g as Record<string, unknown>;
      col.util.push(num(x.utilPercent));
      col.memMB.push(num(x.memoryUsedMB));
    }
  padGpus(s);
}

/** A device's columns, created back-filled with gaps for the `before` samples it missed. */
function gpuColumn(s: SystemPatch, key: string, before: number): { util: number[]; memMB: number[] } {
  const gpus = (s.gpus ??= {});
  return (gpus[key] ??= {
    util: new Array<number>(before).fill(NaN),
    memMB: new Array<number>(before).fill(NaN),
  });
}

/** Every device column as long as `step`: a device not in the latest samples has gaps there. */
function padGpus(s: SystemPatch): void {
  for (const col of Object.values(s.gpus ?? {}))
    while (col.util.length < s.step.length) {
      col.util.push(NaN);
      col.memMB.push(NaN);
    }
}

/** Appends a live patch's samples to what the webview holds for the run. */
export function appendSystem(have: SystemPatch, p: SystemPatch): void {
  const n = have.step.length;
  have.step.push(...p.step);
  have.cpu.push(...p.cpu);
  have.rssMB.push(...p.rssMB);
  for (const [k, g] of Object.entries(p.gpus ?? {})) {
    const col = gpuColumn(have, k, n);
    // A device first seen in this patch was back-filled up to `n`; one seen before may lag behind.
    while (col.util.length < n) {
      col.util.push(NaN);
      col.memMB.push(NaN);
    }
    col.util.push(...g.util);
    col.memMB.push(...g.memMB);
  }
  padGpus(have);
}

/** One line of the System chart. */
export interface SystemLine {
  label: string;
  color: string;
  /** Left axis (%): CPU and GPU utilisation; right axis (MB): resident memory and GPU memory. */
  scale: 'cpu' | 'mb';
  kind: 'cpu' | 'rss' | 'gpu' | 'gpuMem';
  x: number[];
  y: number[];
}

export interface SystemRun {
  label: string;
  color: string;
  parentStep?: number;
  p: SeriesPatch;
}

export interface SystemView {
  xAxis: 'step' | 'tokens' | 'time';
  ftAlign: 'relative' | 'parent';
}

/**
 * The System chart's lines for the selected runs: per run its CPU % and resident memory, and where
 * the run recorded GPUs, each device's utilisation % and memory in use. Samples are by step; the
 * tokens and time axes read the step's row (NaN when that row is not held, e.g. thinned away).
 */
export function systemLines(runs: readonly SystemRun[], view: SystemView): SystemLine[] {
  const out: SystemLine[] = [];
  for (const { label, color, parentStep, p } of runs) {
    const sys = p.system;
    if (!sys?.step.length) continue;
    const off = view.ftAlign === 'parent' ? (parentStep ?? 0) : 0;
    let x: number[];
    if (view.xAxis === 'step') x = sys.step.map((s) => s + off);
    else {
      const idx = new Map(p.steps.step.map((s, i) => [s, i]));
      const col = view.xAxis === 'tokens' ? p.steps.tokensSeen : p.steps.elapsed;
      x = sys.step.map((s) => col[idx.get(s) ?? -1] ?? NaN);
    }
    out.push(
      { label: `${label} CPU %`, color, scale: 'cpu', kind: 'cpu', x, y: sys.cpu },
      { label: `${label} MB`, color, scale: 'mb', kind: 'rss', x, y: sys.rssMB },
    );
    const devices = Object.keys(sys.gpus ?? {}).sort((a, b) => Number(a) - Number(b));
    for (const d of devices) {
      const g = sys.gpus![d];
      // A device that never reported a figure (every sample a gap) draws nothing: left out.
      if (g.util.some((v) => !Number.isNaN(v)))
        out.push({ label: `${label} GPU ${d} %`, color, scale: 'cpu', kind: 'gpu', x, y: g.util });
      if (g.memMB.some((v) => !Number.isNaN(v)))
        out.push({ label: `${label} GPU ${d} MB`, color, scale: 'mb', kind: 'gpuMem', x, y: g.memMB });
    }
  }
  return out;
}
