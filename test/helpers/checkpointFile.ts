import { CheckpointData, saveCheckpoint } from '../../src/engine/checkpoint';
import { DEFAULT_TRAIN_CONFIG, ModelConfig } from '../../src/engine/config';
import type { Weights } from '../../src/engine/model/shapes';
import type { Tokenizer } from '../../src/engine/tokenizers';

/**
 * A checkpoint at step 1 of the given model, tokenizer and weights. TF.js-free (the integration
 * suites load it on the extension host, where TF.js must never load).
 */
export function saveCheckpointOf(
  dir: string,
  o: {
    model: ModelConfig;
    tokenizer: Tokenizer;
    weights: Weights;
    optimizer?: CheckpointData['optimizer'];
    manifest?: Partial<CheckpointData['manifest']>;
  },
): void {
  saveCheckpoint(dir, {
    manifest: {
      name: 'step-00000001',
      model: o.model,
      tokenizer: o.tokenizer.toJSON(),
      train: DEFAULT_TRAIN_CONFIG,
      step: 1,
      tokensSeen: 10,
      valLoss: 1.5,
      valBpc: 2.1,
      createdAt: new Date().toISOString(),
      parent: null,
      trainer: { epoch: 0, window: 1, rngState: 0, optimizerStep: 1, bestValLoss: 1.5, elapsedSeconds: 1 },
      ...o.manifest,
    },
    weights: o.weights,
    optimizer: o.optimizer ?? [],
    carry: [],
  });
}
