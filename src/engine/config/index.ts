// The training configuration: its types and defaults, the schema every consumer derives from,
// validation and the memory check.
export * from './types';
export * from './schema';
export * from './validate';
export * from './memory';
