/**
 * TF.js backend names, in a module of its own that imports nothing: the kernels ask which backend
 * is active without pulling in the code that starts backends.
 */
export type BackendName = 'wasm' | 'cpu' | 'webgpu';

/** What a run asks for: a backend, or `auto` (webgpu on a real GPU when it is faster, else wasm). */
export type BackendChoice = BackendName | 'auto';

/** The threaded build of the wasm backend registers under this name (scripts/build-tfjs-threads.mjs). */
export const THREADED_BACKEND = 'wasm-mt';

/** Whether a TF.js backend name is one of the wasm backends (stock or threaded). */
export function isWasmBackend(name: string): boolean {
  return name === 'wasm' || name === THREADED_BACKEND;
}

/**
 * The CPU backend for work that reads tensors synchronously (the classifier's and translator's
 * inference): webgpu and auto mean wasm there, since Node cannot read a GPU synchronously.
 */
export function cpuBackendOf(choice: BackendChoice | undefined): 'wasm' | 'cpu' {
  return choice === 'cpu' ? 'cpu' : 'wasm';
}
