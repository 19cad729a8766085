import * as tf from '@tensorflow/tfjs';
import { setFlagsFromString } from 'v8';
import {
  CELL_KERNEL_FMA_SHARED_WASM_BASE64,
  CELL_KERNEL_FMA_WASM_BASE64,
  CELL_KERNEL_SHARED_WASM_BASE64,
  CELL_KERNEL_WASM_BASE64,
} from './cellKernelWasm';
import { isWasmBackend } from './backendNames';
import { CTL_SLOTS } from './helperChannel';
import { RowSplitter, type SplitExport } from './rowSplitter';
import { fusedMultiplyAddOff, trainingHelperOff, trainingKernelOff } from './switches';

/** The parts of the TF.js wasm backend the fused cells reach into (tfjs-backend-wasm 4.22). */
interface WasmBackendInternals {
  /** asm.memory: the stock build's (exported) memory; wasmMemory: the threaded build's (shared). */
  wasm?: { asm?: { memory?: unknown }; wasmMemory?: unknown };
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/** The kernel exports called from here (the per-step cell functions and gemm are used inside). */
interface CellExports {
  pack_rows(src: number, dst: number, K: number, N: number): void;
  pack_cols(src: number, dst: number, K: number, N: number): void;
  lstm_fwd_seq(...args: number[]): void;
  gru_fwd_seq(...args: number[]): void;
  rnn_fwd_seq(...args: number[]): void;
  lstm_bwd_seq(...args: number[]): void;
  gru_bwd_seq(...args: number[]): void;
  rnn_bwd_seq(...args: number[]): void;
  gather_rows(table: number, ids: number, out: number, n: number, width: number): void;
  scatter_add_rows(src: number, ids: number, dst: number, n: number, width: number): void;
  transpose(src: number, dst: number, rows: number, cols: number): void;
  softmax_xent(...args: number[]): void;
  softmax_xent_smooth(...args: number[]): void;
  bmm_abt(a: number, b: number, out: number, nb: number, M: number, N: number, K: number): void;
  bmm_ab(
    a: number,
    b: number,
    out: number,
    nb: number,
    M: number,
    N: number,
    K: number,
    transA: number,
  ): void;
  gemm_kb(...args: number[]): void;
  col_sums(src: number, dst: number, rows: number, cols: number): void;
  sum_squares(ptr: number, n: number): number;
  adam(...args: number[]): void;
}

/**
 * cellKernel.wat instantiated on the TF.js wasm backend's heap: its functions take the byte
 * offsets of TF.js tensors. Tensors allocated here are written by the kernel exactly once before
 * anything reads them, which is what lets a timestep's results land inside a whole-window tensor
 * without a copy. Nothing else ever holds those window tensors until the layer hands them out.
 */
export class CellKernel {
  constructor(
    readonly fn: CellExports,
    private readonly memory: WebAssembly.Memory,
    private readonly backend: WasmBackendInternals,
    private readonly splitter: RowSplitter | null = null,
    /** Whether the products use fused multiply-add (relaxed SIMD; see fusedMultiplyAdd). */
    readonly fma = false,
  ) {}

  /** Whether window jobs are split over two threads (the backend's threaded build). */
  get threads(): number {
    return !helperHeldBack.has(this) && this.splitter?.ready() ? 2 : 1;
  }

  /**
   * Runs an export over [0, rows) (a time loop's batch rows, or a product's column panels): split
   * between this thread and the helper when there is one, else here. `args(r0, r1, prog)` gives
   * the arguments for a sub-range.
   */
  split(name: SplitExport, rows: number, args: (r0: number, r1: number, prog: number) => number[]): void {
    if (this.splitter && !helperHeldBack.has(this)) this.splitter.run(name, rows, args);
    else this.fn[name](...args(0, rows, 0));
  }

  /**
   * The row-major [K, N] tensor `m` packed for gemm (panels of 16 columns), or with `transposed`
   * its transpose [N, K] packed: the backward pass's Uᵀ without a transposed copy.
   */
  packed(m: tf.Tensor, transposed = false): tf.Tensor {
    const [rows, cols] = m.shape;
    const [K, N] = transposed ? [cols, rows] : [rows, cols];
    const out = this.alloc([Math.ceil(N / 16) * 16 * K]);
    (transposed ? this.fn.pack_cols : this.fn.pack_rows)(this.ptr(m), this.ptr(out), K, N);
    return out;
  }

  /**
   * A·B for float32 matrices with the kernel's gemm, its 16-column panels split between this
   * thread and the helper. A is [M, K], or with `transposeA` given as Aᵀ [K, M] (read in place,
   * no transposed copy); B is [K, N], or with `transposeB` given as Bᵀ [N, K]. On this kind of
   * machine it ran 1.1–2× XNNPACK's speed on the training shapes (with fused multiply-add).
   */
  matMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor2D {
    const [rows, cols] = b.shape as [number, number];
    const N = transposeB ? rows : cols;
    // gemm stores whole 4-float vectors; other widths (tiny layers, odd vocabularies) go to
    // XNNPACK, with explicit transposes (its transposed-operand path is ~1 GFLOP/s).
    if (N % 4 !== 0)
      return tf.matMul(
        (transposeA ? tf.transpose(a) : a) as tf.Tensor2D,
        (transposeB ? tf.transpose(b) : b) as tf.Tensor2D,
      );
    const bp = this.packed(b, transposeB);
    const out = this.product(a, transposeA, bp, N);
    bp.dispose();
    return out;
  }

  /** A·B (see matMul) with B already packed for N columns (a multiple of 4). */
  product(a: tf.Tensor, transposeA: boolean, bp: tf.Tensor, N: number): tf.Tensor2D {
    const [r, c] = a.shape as [number, number];
    const [M, K] = transposeA ? [c, r] : [r, c];
    const out = this.alloc([M, N]) as tf.Tensor2D;
    const [ars, aks] = transposeA ? [4, M * 4] : [K * 4, 4];
    const p = [this.ptr(a), this.ptr(bp), this.ptr(out)];
    this.split('gemm_kb', Math.ceil(N / 16), (p0, p1) => [
      p[0],
      ars,
      aks,
      p[1],
      64,
      K * 64,
      p[2],
      N * 4,
      M,
      K,
      N,
      0,
      p0,
      p1,
      GEMM_K_BLOCK,
    ]);
    return out;
  }

  /** The float32 values at byte offset `ptr` (a copy). */
  floats(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n).slice();
  }

  /** Byte offset of a tensor's data in the wasm heap. */
  ptr(t: { dataId: object }): number {
    const d = this.backend.dataIdMap.get(t.dataId);
    if (!d) throw new Error('tensor is not on the wasm backend');
    return d.memoryOffset;
  }

  /** An uninitialised float32 tensor (tracked by the current tf.tidy scope). */
  alloc(shape: number[]): tf.Tensor {
    return tf.engine().makeTensorFromTensorInfo(this.backend.makeOutput(shape, 'float32'));
  }

  /** Copies all of `src` to byte offset `dst`. */
  copy(src: tf.Tensor, dst: number): void {
    // A fresh view each time: allocations may have grown (and so replaced) the heap's buffer.
    const heap = new Float32Array(this.memory.buffer);
    const s = this.ptr(src) / 4;
    heap.copyWithin(dst / 4, s, s + src.size);
  }
}

/** Kernels whose window jobs all run on the calling thread (see runWithoutHelper). */
const helperHeldBack = new WeakSet<CellKernel>();

/**
 * Test seam: runs `fn` with every window job of `kernel` on this thread, so that tests can compare
 * the split and unsplit results (they must be the same bits). Production code never calls it.
 */
export function runWithoutHelper<T>(kernel: CellKernel, fn: () => T): T {
  helperHeldBack.add(kernel);
  try {
    return fn();
  } finally {
    helperHeldBack.delete(kernel);
  }
}

/** K rows of a B panel per pass: 256 × 64 bytes stay in L1 while row tiles sweep past. */
const GEMM_K_BLOCK = 256;

const instances = new WeakMap<object, CellKernel | null>();

/**
 * The kernel for the active backend, or null when it is not the wasm backend (the cpu fallback),
 * when its heap cannot be reached, or when SEQLAB_FUSED_CELLS=0 (for comparisons). Callers then
 * use the plain TF.js ops, which compute the same thing more slowly.
 */
export function cellKernel(): CellKernel | null {
  if (trainingKernelOff()) return null;
  if (!isWasmBackend(tf.getBackend())) return null;
  const backend = tf.backend() as unknown as WasmBackendInternals;
  const known = instances.get(backend);
  if (known !== undefined) return known;
  let made: CellKernel | null = null;
  const memory = backend.wasm?.asm?.memory ?? backend.wasm?.wasmMemory;
  if (memory instanceof WebAssembly.Memory && typeof backend.makeOutput === 'function') {
    try {
      const shared = memory.buffer instanceof SharedArrayBuffer;
      const fma = shared ? CELL_KERNEL_FMA_SHARED_WASM_BASE64 : CELL_KERNEL_FMA_WASM_BASE64;
      const plain = shared ? CELL_KERNEL_SHARED_WASM_BASE64 : CELL_KERNEL_WASM_BASE64;
      const fmaBytes = Buffer.from(fma, 'base64');
      const useFma = fusedMultiplyAdd(fmaBytes);
      const module = new WebAssembly.Module(useFma ? fmaBytes : Buffer.from(plain, 'base64'));
      const instance = new WebAssembly.Instance(module, { env: { memory } });
      const fn = instance.exports as unknown as CellExports;
      const splitter = shared ? startSplitter(module, memory, backend, fn) : null;
      made = new CellKernel(fn, memory, backend, splitter, useFma);
    } catch {
      made = null; // e.g. a runtime without wasm SIMD: the plain ops still work
    }
  }
  instances.set(backend, made);
  return made;
}

/**
 * A helper thread for the window jobs, with its control block in a small int32 tensor that is
 * kept for the backend's lifetime (its heap offset must not be reused). Null when the helper
 * cannot start or SEQLAB_CELL_THREADS=1; then this thread runs every row, with the same results.
 */
function startSplitter(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  backend: WasmBackendInternals,
  fn: CellExports,
): RowSplitter | null {
  if (trainingHelperOff()) return null;
  const ctl = tf.keep(tf.engine().makeTensorFromTensorInfo(backend.makeOutput([CTL_SLOTS], 'int32')));
  const offset = backend.dataIdMap.get(ctl.dataId)?.memoryOffset;
  if (offset === undefined) return null;
  return RowSplitter.start(
    module,
    memory,
    offset,
    fn as unknown as Record<string, (...args: number[]) => unknown>,
  );
}

let fmaChecked: boolean | undefined;

/**
 * Whether the runtime takes relaxed SIMD (f32x4.relaxed_madd: one fused multiply-add on x86 with
 * FMA, ~1.3× the products' speed here). Current V8 (VS Code's extension host, Node 22+) has it;
 * Node 20 ships it behind a V8 flag, which is turned on for this process when needed.
 * SEQLAB_FMA=0 keeps the plain multiply-then-add kernel.
 */
export function fusedMultiplyAdd(probe: Uint8Array): boolean {
  if (fusedMultiplyAddOff()) return false;
  if (fmaChecked !== undefined) return fmaChecked;
  let ok = WebAssembly.validate(probe);
  if (!ok) {
    try {
      setFlagsFromString('--experimental-wasm-relaxed-simd');
      ok = WebAssembly.validate(probe);
    } catch {
      ok = false;
    }
  }
  fmaChecked = ok;
  return ok;
}
