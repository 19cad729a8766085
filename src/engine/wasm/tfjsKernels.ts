import * as tf from '@tensorflow/tfjs';
import { cellKernel } from './cellKernel';

/**
 * Replacement kernels for the wasm backend.
 *
 * The stock wasm Slice kernel reads the *whole* input out of the wasm heap on every call
 * (`readSync` copies it), so taking one timestep of a [T·B, 4H] tensor costs milliseconds
 * (measured when the engine was first profiled). This replacement copies only the requested region, straight from a
 * heap view. Strings and ranks above 3 go to the original kernel.
 */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

const installed = new Set<string>();

type KernelFunc = tf.KernelConfig['kernelFunc'];

/** Registers `replacement` for a kernel; it gets the stock kernel to hand cases it does not take. */
function replaceKernel(
  kernelName: string,
  backendName: string,
  replacement: (args: Parameters<KernelFunc>[0], stock: KernelFunc) => ReturnType<KernelFunc>,
): void {
  const original = tf.getKernel(kernelName, backendName);
  if (!original) return;
  const stock = original.kernelFunc;
  tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ kernelName, backendName, kernelFunc: (args) => replacement(args, stock) });
}

/** For the stock `wasm` backend or its threaded build `wasm-mt` (the same kernels). */
export function installWasmKernelFixes(backendName: string): void {
  if (installed.has(backendName)) return;
  replaceKernel('Slice', backendName, (args, stock) => {
    const x = args.inputs.x as tf.TensorInfo;
    const rank = x.shape.length;
    if (x.dtype === 'string' || rank > 3) return stock(args);
    const attrs = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
    const backend = args.backend as unknown as WasmHeapBackend;
    const out = backend.makeOutput(size, x.dtype);
    const n = size.reduce((a, b) => a * b, 1);
    if (n === 0) return out;
    // Views are taken after makeOutput: allocating may grow (and so detach) the heap.
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    copyRegion(src, x.shape, dst, begin, size);
    return out;
  });
  replaceKernel('Transpose', backendName, (args, stock) => {
    const x = args.inputs.x as tf.TensorInfo;
    const perm = (args.attrs as unknown as { perm: number[] }).perm;
    if (x.dtype !== 'float32' || x.shape.length !== 2 || perm[0] !== 1) return stock(args);
    const backend = args.backend as unknown as WasmHeapBackend;
    const [rows, cols] = x.shape;
    const out = backend.makeOutput([cols, rows], 'float32');
    const k = rows % 4 === 0 && cols % 4 === 0 ? cellKernel() : null;
    if (k) k.fn.transpose(k.ptr(x), k.ptr(out), rows, cols);
    else transpose2d(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), rows, cols);
    return out;
  });
  installed.add(backendName);
}

/**
 * The stock wasm Transpose moved a [2048, 256] float32 matrix in 3.8 ms (every backward pass
 * transposes several); 32 × 32 tiles keep both sides in cache. Sizes that are multiples of 4 take
 * the cell kernel's SIMD transpose instead (cellKernel.wat), when SEQLAB_FUSED_CELLS allows it.
 */
function transpose2d(
  src: Float32Array | Int32Array | Uint8Array,
  dst: Float32Array | Int32Array | Uint8Array,
  rows: number,
  cols: number,
): void {
  const TILE = 32;
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        const row = r * cols;
        for (let c = c0; c < c1; c++) dst[c * rows + r] = src[row + c];
      }
    }
  }
}

function copyRegion(
  src: Float32Array | Int32Array | Uint8Array,
  shape: number[],
  dst: Float32Array | Int32Array | Uint8Array,
  begin: number[],
  size: number[],
): void {
  const rank = shape.length;
  if (rank === 1) {
    dst.set(src.subarray(begin[0], begin[0] + size[0]));
    return;
  }
  if (rank === 2) {
    const stride = shape[1];
    if (size[1] === stride) {
      dst.set(src.subarray(begin[0] * stride, (begin[0] + size[0]) * stride));
      return;
    }
    let o = 0;
    for (let i = 0; i < size[0]; i++) {
      const off = (begin[0] + i) * stride + begin[1];
      dst.set(src.subarray(off, off + size[1]), o);
      o += size[1];
    }
    return;
  }
  const s1 = shape[1] * shape[2];
  const s2 = shape[2];
  let o = 0;
  for (let i = 0; i < size[0]; i++) {
    for (let j = 0; j < size[1]; j++) {
      const off = (begin[0] + i) * s1 + (begin[1] + j) * s2 + begin[2];
      dst.set(src.subarray(off, off + size[2]), o);
      o += size[2];
    }
  }
}
