/** The engine's public surface: no `vscode` anywhere below this folder. */
export * from './wasm/backend';
export * from './checkpoint';
export * from './config';
export * from './corpus';
export * from './errors';
export * from './events';
export * from './inference/stepModel';
export * from './runs';
export * from './sample';
export * from './trainer';
export * from './tasks/kinds';
export { trainTask, taskOfOptions } from './tasks/registry';
export { LanguageModel, initWeights, paramShapes } from './model/model';
export * from './tokenizers';
