/**
 * Every SEQLAB_* environment switch of the engine's fast paths, read in one place. They exist for
 * tests, comparisons and working around a machine that misbehaves; none changes results, only
 * where and how fast they are computed. Each is read when asked (tests set them at run time).
 */

/** SEQLAB_WASM_DIR: the folder holding tfjs-backend-wasm.wasm (tests point it away to get the cpu fallback). */
export function wasmDirOverride(): string | undefined {
  return process.env.SEQLAB_WASM_DIR;
}

/**
 * SEQLAB_WASM_THREADS: threads for the wasm backend (an integer ≥ 1; 1 turns the threaded
 * backend and the training kernel's helper thread off). Undefined when unset or not such a number.
 */
export function wasmThreadsOverride(): number | undefined {
  const n = Number(process.env.SEQLAB_WASM_THREADS);
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}

/** SEQLAB_WASM_MT_FILE: the patched threaded backend's script (tests use a broken one for the fall-back). */
export function threadedBackendFileOverride(): string | undefined {
  return process.env.SEQLAB_WASM_MT_FILE;
}

/** SEQLAB_FUSED_CELLS=0: no training kernel; the plain TF.js ops compute the same, more slowly. */
export function trainingKernelOff(): boolean {
  return process.env.SEQLAB_FUSED_CELLS === '0';
}

/** SEQLAB_CELL_THREADS=1: the training kernel runs every window job on the calling thread. */
export function trainingHelperOff(): boolean {
  return process.env.SEQLAB_CELL_THREADS === '1';
}

/** SEQLAB_FMA=0: the training kernel's products multiply then add (no relaxed-SIMD fused multiply-add). */
export function fusedMultiplyAddOff(): boolean {
  return process.env.SEQLAB_FMA === '0';
}

/** SEQLAB_COMPLETION_THREADS=1: the completion and inspection models run on one thread (no helper). */
export function completionHelperOff(): boolean {
  return process.env.SEQLAB_COMPLETION_THREADS === '1';
}
