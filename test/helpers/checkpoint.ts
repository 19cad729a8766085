import { CheckpointData, saveCheckpoint } from '../../src/engine/checkpoint';
import { DEFAULT_TRAIN_CONFIG, ModelConfig } from '../../src/engine/config';
import { initWeights } from '../../src/engine/model/model';
import type { Weights } from '../../src/engine/model/shapes';
import { CharTokenizer } from '../../src/engine/tokenizers';

/** A checkpoint of an untrained model (seeded weights) with a char vocabulary from `text`. */
export function saveTestCheckpoint(
  dir: string,
  config: ModelConfig,
  text: string,
  extra: Partial<CheckpointData['manifest']> = {},
): Weights {
  const tok = CharTokenizer.train([text]);
  const weights = initWeights(config, 11);
  saveCheckpoint(dir, {
    manifest: {
      name: 'step-00000001',
      model: config,
      tokenizer: tok.toJSON(),
      train: DEFAULT_TRAIN_CONFIG,
      step: 1,
      tokensSeen: 10,
      valLoss: 1.5,
      valBpc: 2.1,
      createdAt: new Date().toISOString(),
      parent: null,
      trainer: { epoch: 0, window: 1, rngState: 0, optimizerStep: 1, bestValLoss: 1.5, elapsedSeconds: 1 },
      ...extra,
    },
    weights,
    optimizer: [
      {
        name: 'embedding/m',
        shape: [config.vocabSize, config.embedding],
        data: new Float32Array(config.vocabSize * config.embedding).fill(0.5),
      },
    ],
    carry: [],
  });
  return weights;
}
