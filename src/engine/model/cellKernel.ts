import * as tf from '@tensorflow/tfjs';
import { CELL_KERNEL_SHARED_WASM_BASE64, CELL_KERNEL_WASM_BASE64 } from './cellKernelWasm';
import { isWasmBackend } from '../backend';

/** The parts of the TF.js wasm backend the fused cells reach into (tfjs-backend-wasm 4.22). */
interface WasmBackendInternals {
  /** asm.memory: the stock build's (exported) memory; wasmMemory: the threaded build's (shared). */
  wasm?: { asm?: { memory?: unknown }; wasmMemory?: unknown };
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

interface CellExports {
  lstm_fwd(...args: number[]): void;
  lstm_bwd(...args: number[]): number;
  gru_fwd(...args: number[]): void;
  gru_bwd(...args: number[]): number;
  rnn_fwd(...args: number[]): void;
  rnn_bwd(...args: number[]): number;
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
  ) {}

  /** Byte offset of a tensor's data in the wasm heap. */
  ptr(t: tf.Tensor): number {
    const d = this.backend.dataIdMap.get(t.dataId);
    if (!d) throw new Error('tensor is not on the wasm backend');
    return d.memoryOffset;
  }

  /** Byte offset of row `row` of a row-major [rows, cols] float32 tensor. */
  row(t: tf.Tensor, row: number, cols: number): number {
    return this.ptr(t) + row * cols * 4;
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

const instances = new WeakMap<object, CellKernel | null>();

/**
 * The kernel for the active backend, or null when it is not the wasm backend (the cpu fallback),
 * when its heap cannot be reached, or when SEQLAB_FUSED_CELLS=0 (for comparisons). Callers then
 * use the plain TF.js ops, which compute the same thing more slowly.
 */
export function cellKernel(): CellKernel | null {
  if (process.env.SEQLAB_FUSED_CELLS === '0') return null;
  if (!isWasmBackend(tf.getBackend())) return null;
  const backend = tf.backend() as unknown as WasmBackendInternals;
  const known = instances.get(backend);
  if (known !== undefined) return known;
  let made: CellKernel | null = null;
  const memory = backend.wasm?.asm?.memory ?? backend.wasm?.wasmMemory;
  if (memory instanceof WebAssembly.Memory && typeof backend.makeOutput === 'function') {
    try {
      const shared = memory.buffer instanceof SharedArrayBuffer;
      const bytes = shared ? CELL_KERNEL_SHARED_WASM_BASE64 : CELL_KERNEL_WASM_BASE64;
      const module = new WebAssembly.Module(Buffer.from(bytes, 'base64'));
      const instance = new WebAssembly.Instance(module, { env: { memory } });
      made = new CellKernel(instance.exports as unknown as CellExports, memory, backend);
    } catch {
      made = null; // e.g. a runtime without wasm SIMD: the plain ops still work
    }
  }
  instances.set(backend, made);
  return made;
}
