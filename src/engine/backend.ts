/** @deprecated Moved to ./wasm/backend (shim for the merge; import from there). */
export * from './wasm/backend';
