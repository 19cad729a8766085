import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../config';
import type { Weights } from '../model/shapes';
import { registerSeqLabLayers } from './tfjsLayers';

let gruClass: ReturnType<typeof registerSeqLabLayers> | undefined;

/** TF.js' GRU has no reset_after, so a GRU model needs SeqLab's layer, registered once per process. */
export function seqLabGru(): ReturnType<typeof registerSeqLabLayers> {
  return (gruClass ??= registerSeqLabLayers(tf));
}

/**
 * SeqLab's model as a TF.js LayersModel: token ids [batch, time] → logits [batch, time, vocab]
 * (no softmax), from a zero state. Layers are named as SeqLab's parameter groups (embedding,
 * layer_0…, output), so their weights are `layer_0/kernel` and so on, as in the checkpoint.
 * Gate orders already agree with Keras (LSTM i, f, c, o; GRU z, r, h), and the LSTM's
 * recurrent activation must be the logistic sigmoid, not TF.js' default hard sigmoid.
 */
export function buildLayersModel(c: ModelConfig, weights: Weights): tf.LayersModel {
  const get = (name: string): tf.Tensor => {
    const w = weights.get(name);
    if (!w) throw new Error(`the checkpoint has no weight ${name}`);
    return tf.tensor(w.data, w.shape);
  };
  const input = tf.input({ shape: [null], dtype: 'int32', name: 'tokens' });
  const embedding = tf.layers.embedding({ inputDim: c.vocabSize, outputDim: c.embedding, name: 'embedding' });
  let x = embedding.apply(input) as tf.SymbolicTensor;
  const recurrent: tf.layers.Layer[] = [];
  for (let l = 0; l < c.layers; l++) {
    const name = `layer_${l}`;
    let layer: tf.layers.Layer;
    if (c.cell === 'lstm')
      layer = tf.layers.lstm({
        units: c.hidden,
        returnSequences: true,
        activation: 'tanh',
        recurrentActivation: 'sigmoid',
        name,
      });
    else if (c.cell === 'rnn')
      layer = tf.layers.simpleRNN({ units: c.hidden, returnSequences: true, activation: c.activation, name });
    else layer = new (seqLabGru())({ units: c.hidden, name });
    x = layer.apply(x) as tf.SymbolicTensor;
    recurrent.push(layer);
  }
  const output = tf.layers.dense({ units: c.vocabSize, name: 'output' });
  const model = tf.model({ inputs: input, outputs: output.apply(x) as tf.SymbolicTensor, name: 'seqlab' });
  embedding.setWeights([get('embedding')]);
  recurrent.forEach((layer, l) =>
    layer.setWeights(['kernel', 'recurrent_kernel', 'bias'].map((w) => get(`layer_${l}/${w}`))),
  );
  output.setWeights([get('output/kernel'), get('output/bias')]);
  return model;
}

/** The files of a TF.js LayersModel: `model.json` (topology and weights manifest) and one weights file. */
export async function layersModelFiles(
  model: tf.LayersModel,
  weightsFile = 'weights.bin',
): Promise<{ modelJson: object; weights: Buffer }> {
  let result: { modelJson: object; weights: Buffer } | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      result = {
        modelJson: {
          format: 'layers-model',
          generatedBy: a.generatedBy,
          convertedBy: 'SeqLab export',
          modelTopology: a.modelTopology,
          weightsManifest: [{ paths: [weightsFile], weights: a.weightSpecs }],
        },
        weights: Buffer.from(a.weightData as ArrayBuffer),
      };
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  return result!;
}
