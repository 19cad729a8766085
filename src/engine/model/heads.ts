import * as tf from '@tensorflow/tfjs';
import { syncReads } from '../training/reads';
import { cellKernel, type CellKernel } from '../wasm/cellKernel';
import { fusedHead } from '../wasm/fusedHead';
import { columnSums } from '../wasm/fusedLayers';

/**
 * Embedding lookup with a scatter-add gradient done in JS: tf.layers' embedding gradient needs
 * UnsortedSegmentSum, which the wasm backend does not have, and a one-hot matmul would be
 * [vocab × T·B] — 80 MB for a 10k word vocabulary.
 */
export function embeddingLookup(ids: Int32Array, vocab: number): (table: tf.Tensor2D) => tf.Tensor2D {
  const idT = () => tf.tensor1d(ids, 'int32');
  const fn = tf.customGrad(((table: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([]);
    const k = cellKernel();
    if (k && table.shape[1] % 4 === 0 && ids.every((i) => i >= 0 && i < vocab))
      return kernelLookup(k, ids, table);
    const idx = idT();
    const value = tf.gather(table, idx);
    return {
      value,
      gradFunc: (dy: tf.Tensor2D) => {
        // On a GPU the gradient stays there: UnsortedSegmentSum exists on webgpu, and a read-back
        // inside the backward pass is impossible (no synchronous reads in Node).
        if (!syncReads()) return [tf.unsortedSegmentSum(dy, idT(), vocab)];
        const E = dy.shape[1];
        const d = dy.dataSync();
        const g = new Float32Array(vocab * E);
        for (let r = 0; r < ids.length; r++) {
          const src = r * E;
          const dst = ids[r] * E;
          for (let j = 0; j < E; j++) g[dst + j] += d[src + j];
        }
        return [tf.tensor2d(g, [vocab, E])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return fn as unknown as (table: tf.Tensor2D) => tf.Tensor2D;
}

/**
 * embeddingLookup on the training kernel: rows copied by gather_rows, the gradient summed by
 * scatter_add_rows (the same float additions in the same order as the JS loop, so the same
 * bits). TF.js's wasm Gather plus the read-back and upload of the JS scatter took several ms a
 * lookup on the translator's batches.
 */
function kernelLookup(
  k: CellKernel,
  ids: Int32Array,
  table: tf.Tensor2D,
): { value: tf.Tensor2D; gradFunc: (dy: tf.Tensor2D) => tf.Tensor[] } {
  const [vocab, E] = table.shape;
  const idx = tf.tensor1d(ids, 'int32');
  const value = k.alloc([ids.length, E]) as tf.Tensor2D;
  k.fn.gather_rows(k.ptr(table), k.ptr(idx), k.ptr(value), ids.length, E);
  idx.dispose();
  return {
    value,
    gradFunc: (dy) => {
      const g = tf.zeros([vocab, E]);
      const at = tf.tensor1d(ids, 'int32');
      k.fn.scatter_add_rows(k.ptr(dy), k.ptr(at), k.ptr(g), ids.length, E);
      at.dispose();
      return [g];
    },
  };
}

/**
 * Output projection and mean softmax cross-entropy over every position, fused so that the
 * backward pass is the closed form (softmax − onehot)/N with explicit-transpose matmuls.
 * Returns the scalar mean loss in nats.
 */
export function softmaxCrossEntropy(
  labels: Int32Array,
  vocab: number,
): (h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Scalar {
  const fn = tf.customGrad(((h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const N = h.shape[0];
    const k = cellKernel();
    if (k && labels.every((l) => l >= 0 && l < vocab)) return fusedHead(k, labels, h, w, b, save);
    const logits = tf.add(tf.matMul(h, w), b) as tf.Tensor2D;
    const logp = tf.logSoftmax(logits);
    const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), vocab);
    const loss = tf.div(tf.neg(tf.sum(tf.mul(logp, onehot))), N) as tf.Scalar;
    save([h, w, tf.exp(logp), onehot]);
    return {
      value: loss,
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const [sh, sw, p, oh] = saved as tf.Tensor2D[];
        const dLogits = tf.mul(tf.sub(p, oh), tf.div(dy, N)) as tf.Tensor2D;
        return [
          tf.matMul(dLogits, tf.transpose(sw)),
          tf.matMul(tf.transpose(sh), dLogits),
          columnSums(dLogits),
        ];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return fn as unknown as (h: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Scalar;
}
