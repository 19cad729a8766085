import type * as tfType from '@tensorflow/tfjs';

/**
 * Registers `SeqLabGRU` with TF.js. SeqLab's GRU applies the reset gate after the recurrent
 * product (n = tanh(W_n x + b_n + r ⊙ (U_n h + b_hn)), PyTorch's GRU and Keras' reset_after=True),
 * which TF.js' own GRU does not implement (it throws on resetAfter), so a GRU export carries this
 * layer. The function is written into the export as `seqlab-layers.js` from its own source text:
 * it must use nothing but its argument.
 */
export function registerSeqLabLayers(
  tf: typeof tfType,
): new (args: { units: number; name?: string }) => tfType.layers.Layer {
  type Tensor = tfType.Tensor;
  interface GruArgs {
    units: number;
    name?: string;
  }
  class SeqLabGRU extends tf.layers.Layer {
    static className = 'SeqLabGRU';
    readonly units: number;
    private kernel!: tfType.LayerVariable;
    private recurrent!: tfType.LayerVariable;
    private bias!: tfType.LayerVariable;

    constructor(args: GruArgs) {
      super(args);
      this.units = args.units;
    }

    override build(inputShape: tfType.Shape | tfType.Shape[]): void {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfType.Shape;
      const inDim = shape[shape.length - 1] as number;
      const G = 3 * this.units;
      this.kernel = this.addWeight('kernel', [inDim, G], 'float32', tf.initializers.glorotUniform({}));
      this.recurrent = this.addWeight(
        'recurrent_kernel',
        [this.units, G],
        'float32',
        tf.initializers.orthogonal({}),
      );
      this.bias = this.addWeight('bias', [2, G], 'float32', tf.initializers.zeros());
      this.built = true;
    }

    override computeOutputShape(inputShape: tfType.Shape | tfType.Shape[]): tfType.Shape {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfType.Shape;
      return [shape[0], shape[1], this.units];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tfType.Tensor3D;
        const [B, T, D] = x.shape;
        const H = this.units;
        const k = this.kernel.read() as tfType.Tensor2D;
        const r = this.recurrent.read() as tfType.Tensor2D;
        const b = this.bias.read();
        const bIn = b.slice([0, 0], [1, 3 * H]);
        const bRec = b.slice([1, 0], [1, 3 * H]);
        const zx = tf.add(tf.matMul(tf.reshape(x, [B * T, D]), k), bIn).reshape([B, T, 3 * H]);
        let h: Tensor = tf.zeros([B, H]);
        const outs: Tensor[] = [];
        for (let t = 0; t < T; t++) {
          const xt = zx.slice([0, t, 0], [B, 1, 3 * H]).reshape([B, 3 * H]);
          const zh = tf.add(tf.matMul(h as tfType.Tensor2D, r), bRec);
          const z = tf.sigmoid(tf.add(xt.slice([0, 0], [B, H]), zh.slice([0, 0], [B, H])));
          const rg = tf.sigmoid(tf.add(xt.slice([0, H], [B, H]), zh.slice([0, H], [B, H])));
          const n = tf.tanh(tf.add(xt.slice([0, 2 * H], [B, H]), tf.mul(rg, zh.slice([0, 2 * H], [B, H]))));
          h = tf.add(n, tf.mul(z, tf.sub(h, n)));
          outs.push(h);
        }
        return tf.stack(outs, 1);
      });
    }

    override getConfig(): tfType.serialization.ConfigDict {
      return { ...super.getConfig(), units: this.units };
    }
  }
  tf.serialization.registerClass(SeqLabGRU);
  return SeqLabGRU;
}
