import type { CheckpointData } from '../../src/engine/checkpoint';
import type { ModelConfig } from '../../src/engine/config';
import { initWeights } from '../../src/engine/model/model';
import type { Weights } from '../../src/engine/model/shapes';
import { CharTokenizer } from '../../src/engine/tokenizers';
import { saveCheckpointOf } from './checkpointFile';

/** A checkpoint of an untrained model (seeded weights) with a char vocabulary from `text`. */
export function saveTestCheckpoint(
  dir: string,
  config: ModelConfig,
  text: string,
  extra: Partial<CheckpointData['manifest']> = {},
): Weights {
  const weights = initWeights(config, 11);
  saveCheckpointOf(dir, {
    model: config,
    tokenizer: CharTokenizer.train([text]),
    weights,
    optimizer: [
      {
        name: 'embedding/m',
        shape: [config.vocabSize, config.embedding],
        data: new Float32Array(config.vocabSize * config.embedding).fill(0.5),
      },
    ],
    manifest: extra,
  });
  return weights;
}
