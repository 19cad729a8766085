import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import { DEFAULT_TRAIN_CONFIG, mergeConfig, TrainOverrides } from '../../src/engine/config';
import { SeqLabError } from '../../src/engine/errors';
import { exportCheckpoint } from '../../src/engine/export';
import { decodeSafetensors } from '../../src/engine/export/safetensors';
import { InferenceModel } from '../../src/engine/inference/stepModel';
import { train } from '../../src/engine/trainer';
import { initBackend } from '../../src/engine/wasm/backend';
import { fixture, sampleText, tmpDir } from '../helpers/util';

before(async () => {
  await initBackend('wasm');
});

/** A checkpoint of a few steps: trained weights, not an initialisation's symmetries. */
async function checkpointOf(over: TrainOverrides): Promise<string> {
  const dir = fixture({ 'a.txt': sampleText(3000), 'b.txt': sampleText(900, 2) });
  const r = await train({
    folder: dir,
    out: tmpDir(),
    config: mergeConfig(
      DEFAULT_TRAIN_CONFIG,
      {
        model: { embedding: 8, hidden: 12, layers: 2, dropout: 0 },
        seqLen: 16,
        batch: 4,
        lr: 3e-2,
        steps: 6,
      },
      over,
    ),
  });
  return r.checkpoint!;
}

/** SeqLab's logits for each sequence, one token at a time: [batch][time][vocab]. */
function seqlabLogits(ckpt: string, ids: number[][]): Float32Array[][] {
  const data = loadCheckpoint(ckpt);
  const m = new InferenceModel(data.manifest.model, data.weights);
  return ids.map((seq) => {
    const s = m.newState();
    return seq.map((t) => {
      m.step(s, t);
      return m.logits(s).slice();
    });
  });
}

/** tf.loadLayersModel over the exported files, resolving the weights through model.json's manifest. */
async function loadExported(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const group = json.weightsManifest[0];
  const bin = fs.readFileSync(path.join(dir, group.paths[0]));
  const handler: tf.io.IOHandler = {
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: group.weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length),
      format: json.format,
    }),
  };
  return tf.loadLayersModel(handler);
}

const IDS = [
  [1, 5, 2, 7, 3, 3, 9, 4],
  [6, 2, 2, 8, 1, 4, 5, 0],
];

for (const over of [
  { model: { cell: 'lstm' } },
  { model: { cell: 'gru' } },
  { model: { cell: 'rnn' } },
  { model: { cell: 'rnn', activation: 'relu' } },
] as TrainOverrides[]) {
  const label = `${over.model!.cell}${over.model!.activation ? ` (${over.model!.activation})` : ''}`;
  test(`tfjs export (${label}): tf.loadLayersModel loads it and its logits equal SeqLab's within 1e-5`, async () => {
    const ckpt = await checkpointOf(over);
    const out = path.join(tmpDir(), 'tfjs');
    const r = await exportCheckpoint(ckpt, { format: 'tfjs', out });
    const names = r.files.map((f) => path.basename(f)).sort();
    const gru = over.model!.cell === 'gru';
    assert.deepEqual(
      names,
      ['config.json', 'model.json', 'weights.bin', ...(gru ? ['seqlab-layers.js'] : [])].sort(),
    );
    // The GRU layer comes from the exported script, as a user of the export would register it.
    if (gru) {
      // Run in a bare function scope: the script must need nothing but the tf it is given.
      const mod: { exports: unknown } = { exports: {} };
      new Function('module', fs.readFileSync(path.join(out, 'seqlab-layers.js'), 'utf8'))(mod);
      (mod.exports as (t: typeof tf) => void)(tf);
    }
    const model = await loadExported(out);
    const got = model.predict(tf.tensor2d(IDS, [2, IDS[0].length], 'int32')) as tf.Tensor3D;
    const ours = got.arraySync();
    const want = seqlabLogits(ckpt, IDS);
    let worst = 0;
    for (let b = 0; b < IDS.length; b++)
      for (let t = 0; t < IDS[0].length; t++)
        for (let v = 0; v < want[b][t].length; v++)
          worst = Math.max(worst, Math.abs(ours[b][t][v] - want[b][t][v]));
    assert.ok(worst < 1e-5, `largest difference ${worst}`);
    assert.ok(Math.abs(want[0][7][0]) > 1e-3, 'logits are not trivially zero');
    got.dispose();
    model.dispose();
  });
}

test('safetensors export: the file parses back to the checkpoint weights, with config.json', async () => {
  const ckpt = await checkpointOf({ model: { cell: 'gru' } });
  const out = path.join(tmpDir(), 'st');
  await exportCheckpoint(ckpt, { format: 'safetensors', out });
  const buf = fs.readFileSync(path.join(out, 'model.safetensors'));
  assert.equal((8 + Number(buf.readBigUInt64LE(0))) % 8, 0, 'data starts 8-byte aligned');
  const { tensors, metadata } = decodeSafetensors(buf);
  assert.equal(metadata.format, 'pt');
  const data = loadCheckpoint(ckpt);
  assert.deepEqual([...tensors.keys()].sort(), [...data.weights.keys()].sort());
  for (const [name, w] of data.weights) {
    assert.deepEqual(tensors.get(name)!.shape, w.shape, name);
    assert.deepEqual(tensors.get(name)!.data, w.data, name);
  }
  const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.deepEqual(config.model, data.manifest.model);
  assert.deepEqual(config.tokenizer, data.manifest.tokenizer);
});

/** Reads model.safetensors by hand in Python and runs the LSTM there: the layout is what the README says. */
const PY_LSTM = `
import json, struct, sys
import numpy as np
d = sys.argv[1]
raw = open(d + '/model.safetensors', 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
head = json.loads(raw[8:8 + n])
W = {k: np.frombuffer(raw[8 + n + v['data_offsets'][0]: 8 + n + v['data_offsets'][1]], '<f4').reshape(v['shape'])
     for k, v in head.items() if k != '__metadata__'}
c = json.load(open(d + '/config.json'))['model']
H, L = c['hidden'], c['layers']
sig = lambda x: 1 / (1 + np.exp(-x))
h = [np.zeros(H) for _ in range(L)]; cs = [np.zeros(H) for _ in range(L)]
out = []
for t in json.loads(sys.argv[2]):
    x = W['embedding'][t]
    for l in range(L):
        z = x @ W[f'layer_{l}/kernel'] + h[l] @ W[f'layer_{l}/recurrent_kernel'] + W[f'layer_{l}/bias']
        i, f, g, o = sig(z[:H]), sig(z[H:2*H]), np.tanh(z[2*H:3*H]), sig(z[3*H:])
        cs[l] = f * cs[l] + i * g; h[l] = o * np.tanh(cs[l]); x = h[l]
    out.append((x @ W['output/kernel'] + W['output/bias']).tolist())
print(json.dumps(out))
`;

test('safetensors export: Python reads it without the safetensors package and computes SeqLab logits', async () => {
  const ckpt = await checkpointOf({ model: { cell: 'lstm' } });
  const out = path.join(tmpDir(), 'st');
  await exportCheckpoint(ckpt, { format: 'safetensors', out });
  const py = JSON.parse(
    execFileSync('python3', ['-c', PY_LSTM, out, JSON.stringify(IDS[0])], { encoding: 'utf8' }),
  ) as number[][];
  const want = seqlabLogits(ckpt, [IDS[0]])[0];
  for (let t = 0; t < want.length; t++)
    for (let v = 0; v < want[t].length; v++)
      assert.ok(Math.abs(py[t][v] - want[t][v]) < 1e-5, `t ${t} v ${v}`);
});

test('export never replaces a folder silently, and --force replaces only an earlier export', async () => {
  const ckpt = await checkpointOf({ model: { cell: 'rnn' } });
  const out = path.join(tmpDir(), 'x');
  await exportCheckpoint(ckpt, { format: 'safetensors', out });
  const refused = (err: SeqLabError) => err.code === 'E_EXPORT_EXISTS' && /--force/.test(err.describe());
  await assert.rejects(exportCheckpoint(ckpt, { format: 'tfjs', out }), refused);
  const r = await exportCheckpoint(ckpt, { format: 'tfjs', out, overwrite: true });
  assert.ok(!fs.existsSync(path.join(out, 'model.safetensors')), 'the earlier export was replaced whole');
  assert.ok(r.files.some((f) => f.endsWith('model.json')));
  const other = fixture({ 'notes.txt': 'mine' });
  await assert.rejects(
    exportCheckpoint(ckpt, { format: 'tfjs', out: other, overwrite: true }),
    (err: SeqLabError) => err.code === 'E_EXPORT_EXISTS' && /not a SeqLab export/.test(err.message),
  );
  assert.equal(fs.readFileSync(path.join(other, 'notes.txt'), 'utf8'), 'mine');
});
