/** @deprecated Moved to ./inference/stepModel (shim for the merge; import from there). */
export * from './inference/stepModel';
