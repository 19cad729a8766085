import * as tf from '@tensorflow/tfjs';
import { cellKernel } from '../wasm/cellKernel';
import { columnSums, gruFused, lstmFused, rnnFused } from '../wasm/fusedLayers';
import type { RecurrentLayerArgs } from './layerArgs';
import { fitsTrainingKernel } from './shapes';
export { TimestepGradRecorder, type LayerState, type RecurrentLayerArgs } from './layerArgs';
export { fitsTrainingKernel, gateCount } from './shapes';

/** Whether `recurrentLayer(args)` takes the fused wasm kernels (and so honours `ids`). */
export function usesFusedPath(args: Pick<RecurrentLayerArgs, 'fused' | 'H'>): boolean {
  return args.fused !== false && fitsTrainingKernel(args.H) && cellKernel() !== null;
}

type Grad = tf.GradSaveFunc;
type CustomFn = Parameters<typeof tf.customGrad>[0];

/**
 * One recurrent layer over a whole window, with its backward pass written by hand: the
 * ∂L/∂h_t recurrence runs back through time one step at a time, and the weight gradients are then
 * three large matmuls over all timesteps. Wrapped in tf.customGrad so TF.js autodiff composes it
 * with the rest of the model without taping the hundreds of per-step ops.
 *
 * x: [T·B, In]; W: [In, G·H]; recurrent: [H, G·H]; bias: [G·H] (GRU: [2, 3H]). Returns [T·B, H].
 */
export function recurrentLayer(
  args: RecurrentLayerArgs,
): (x: tf.Tensor2D, W: tf.Tensor2D, rec: tf.Tensor2D, bias: tf.Tensor) => tf.Tensor2D {
  return layerFn({ ...args, initialGrad: false }) as (
    x: tf.Tensor2D,
    W: tf.Tensor2D,
    rec: tf.Tensor2D,
    bias: tf.Tensor,
  ) => tf.Tensor2D;
}

/**
 * recurrentLayer with the initial state as inputs (h0, and c0 for the LSTM) that get gradients:
 * an encoder–decoder's bridge learns through the decoder's initial state. The backward pass adds
 * one [B, G·H]·[G·H, H] product per layer to recurrentLayer's.
 */
export function recurrentLayerFromState(
  args: Omit<RecurrentLayerArgs, 'initial' | 'initialGrad'>,
): (
  x: tf.Tensor2D,
  W: tf.Tensor2D,
  rec: tf.Tensor2D,
  bias: tf.Tensor,
  h0: tf.Tensor2D,
  c0?: tf.Tensor2D,
) => tf.Tensor2D {
  const lstm = args.cell === 'lstm';
  return (x, W, rec, bias, h0, c0) => {
    if (lstm && !c0) throw new Error('recurrentLayerFromState: an LSTM needs c0');
    const inputs = lstm ? [x, W, rec, bias, h0, c0!] : [x, W, rec, bias, h0];
    return (
      layerFn({ ...args, initial: { h: h0 }, initialGrad: true }) as (...t: tf.Tensor[]) => tf.Tensor2D
    )(...inputs);
  };
}

function layerFn(args: RecurrentLayerArgs): (...t: tf.Tensor[]) => tf.Tensor2D {
  const fn = tf.customGrad(((...inputs: (tf.Tensor | Grad)[]) => {
    const save = inputs.pop() as Grad;
    const [x, W, rec, , h0, c0] = inputs as tf.Tensor2D[];
    const bias = inputs[3] as tf.Tensor;
    const a: RecurrentLayerArgs = args.initialGrad ? { ...args, initial: { h: h0, c: c0 } } : args;
    const wasmKernel = usesFusedPath(a) ? cellKernel() : null;
    if (a.ids && !wasmKernel)
      throw new Error('recurrentLayer: ids (the folded embedding) need the fused path');
    if (wasmKernel) {
      switch (a.cell) {
        case 'lstm':
          return lstmFused(wasmKernel, a, x, W, rec, bias as tf.Tensor1D, save);
        case 'gru':
          return gruFused(wasmKernel, a, x, W, rec, bias as tf.Tensor2D, save);
        case 'rnn':
          return rnnFused(wasmKernel, a, x, W, rec, bias as tf.Tensor1D, save);
      }
    }
    switch (a.cell) {
      case 'lstm':
        return lstmForward(a, x, W, rec, bias as tf.Tensor1D, save);
      case 'gru':
        return gruForward(a, x, W, rec, bias as tf.Tensor2D, save);
      case 'rnn':
        return rnnForward(a, x, W, rec, bias as tf.Tensor1D, save);
    }
  }) as unknown as CustomFn);
  return fn as unknown as (...t: tf.Tensor[]) => tf.Tensor2D;
}

function rowsAt(m: tf.Tensor2D, t: number, B: number): tf.Tensor2D {
  return tf.slice(m, [t * B, 0], [B, m.shape[1]]);
}

function cols(m: tf.Tensor2D, start: number, n: number): tf.Tensor2D {
  return tf.slice(m, [0, start], [m.shape[0], n]);
}

function recordNorm(args: RecurrentLayerArgs, t: number, dh: tf.Tensor): void {
  if (args.recorder) args.recorder.add(args.layerIndex ?? 0, t, tf.sqrt(tf.sum(tf.square(dh))) as tf.Scalar);
}

/**
 * The recorded profile is ‖∂L_T/∂h_t‖: the gradient that enters the layer at the window's last
 * step, carried back through the layer's recurrence alone. The full ∂L/∂h_t would not show
 * vanishing, because every step also receives its own loss's gradient. Linear in the gradient,
 * so the probe reuses the backward step (`back`) on a second vector; only on recorded steps.
 */
function probeBack<S>(
  a: RecurrentLayerArgs,
  T: number,
  dyLast: tf.Tensor,
  start: S,
  back: (t: number, dh: tf.Tensor, carry: S) => { dhNext: tf.Tensor; carry: S },
): void {
  if (!a.recorder) return;
  let dh = dyLast;
  let carry = start;
  for (let t = T - 1; t >= 0; t--) {
    recordNorm(a, t, dh);
    ({ dhNext: dh, carry } = back(t, dh, carry));
  }
}

function lstmForward(
  a: RecurrentLayerArgs,
  x: tf.Tensor2D,
  W: tf.Tensor2D,
  rec: tf.Tensor2D,
  bias: tf.Tensor1D,
  save: Grad,
) {
  const { T, B, H } = a;
  const xw = tf.add(tf.matMul(x, W), bias) as tf.Tensor2D;
  let h: tf.Tensor = a.initial.h;
  let c: tf.Tensor = a.initial.c!;
  const hs: tf.Tensor[] = [];
  const keep: tf.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const z = tf.add(rowsAt(xw, t, B), tf.matMul(h as tf.Tensor2D, rec)) as tf.Tensor2D;
    const s = tf.sigmoid(z);
    const i = cols(s, 0, H);
    const f = cols(s, H, H);
    const o = cols(s, 3 * H, H);
    const g = tf.tanh(cols(z, 2 * H, H));
    const cPrev = c;
    c = tf.add(tf.mul(f, cPrev), tf.mul(i, g));
    const tc = tf.tanh(c);
    h = tf.mul(o, tc);
    hs.push(h);
    keep.push(i, f, g, o, cPrev, tc);
  }
  const out = tf.concat(hs, 0) as tf.Tensor2D;
  a.onFinalState?.({ h: tf.keep(h) as tf.Tensor2D, c: tf.keep(c) as tf.Tensor2D });
  const hPrev = tf.concat([a.initial.h, ...hs.slice(0, T - 1)], 0) as tf.Tensor2D;
  save([x, W, rec, hPrev, ...keep]);
  return {
    value: out,
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sx, sW, sr, shPrev] = saved as tf.Tensor2D[];
      const recT = tf.transpose(sr);
      // One step back: from ∂/∂h_t and the carried ∂/∂c_t to the gate pre-activations.
      const back = (t: number, dh: tf.Tensor, dcNext: tf.Tensor | undefined) => {
        const [i, f, g, o, cPrev, tc] = saved.slice(4 + 6 * t, 10 + 6 * t) as tf.Tensor2D[];
        let dc: tf.Tensor = tf.mul(tf.mul(dh, o), tf.sub(1, tf.square(tc)));
        if (dcNext) dc = tf.add(dc, dcNext);
        const dzi = tf.mul(tf.mul(dc, g), tf.mul(i, tf.sub(1, i)));
        const dzf = tf.mul(tf.mul(dc, cPrev), tf.mul(f, tf.sub(1, f)));
        const dzg = tf.mul(tf.mul(dc, i), tf.sub(1, tf.square(g)));
        const dzo = tf.mul(tf.mul(dh, tc), tf.mul(o, tf.sub(1, o)));
        const dz = tf.concat([dzi, dzf, dzg, dzo], 1) as tf.Tensor2D;
        return { dz, dhNext: tf.matMul(dz, recT), carry: tf.mul(dc, f) as tf.Tensor | undefined };
      };
      let dhNext: tf.Tensor | undefined;
      let dcNext: tf.Tensor | undefined;
      const dzs: tf.Tensor[] = new Array(T);
      for (let t = T - 1; t >= 0; t--) {
        let dh: tf.Tensor = rowsAt(dy, t, B);
        if (dhNext) dh = tf.add(dh, dhNext);
        const r = back(t, dh, dcNext);
        dzs[t] = r.dz;
        dhNext = r.dhNext;
        dcNext = r.carry;
      }
      probeBack(a, T, rowsAt(dy, T - 1, B), undefined as tf.Tensor | undefined, back);
      const dZ = tf.concat(dzs, 0) as tf.Tensor2D;
      const [dx, dW, dRec] = weightGrads(sx, sW, shPrev, dZ, dZ);
      // After step 0, dhNext and dcNext are ∂L/∂h_0 and ∂L/∂c_0.
      return [dx, dW, dRec, columnSums(dZ), ...(a.initialGrad ? [dhNext!, dcNext!] : [])];
    },
  };
}

/**
 * GRU as Keras' reset_after=True (the cuDNN/PyTorch form), gate order z, r, h:
 *   z = σ(x W_z + b_z + h U_z + c_z), r = σ(x W_r + b_r + h U_r + c_r)
 *   n = tanh(x W_h + b_h + r ⊙ (h U_h + c_h)),  h' = z ⊙ h + (1 − z) ⊙ n
 * bias is [2, 3H]: row 0 the input bias b, row 1 the recurrent bias c.
 */
function gruForward(
  a: RecurrentLayerArgs,
  x: tf.Tensor2D,
  W: tf.Tensor2D,
  rec: tf.Tensor2D,
  bias: tf.Tensor2D,
  save: Grad,
) {
  const { T, B, H } = a;
  const [bIn, bRec] = tf.unstack(bias) as tf.Tensor1D[];
  const xw = tf.add(tf.matMul(x, W), bIn) as tf.Tensor2D;
  let h: tf.Tensor = a.initial.h;
  const hs: tf.Tensor[] = [];
  const keep: tf.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const xt = rowsAt(xw, t, B);
    const hu = tf.add(tf.matMul(h as tf.Tensor2D, rec), bRec) as tf.Tensor2D;
    const zr = tf.sigmoid(tf.add(cols(xt, 0, 2 * H), cols(hu, 0, 2 * H))) as tf.Tensor2D;
    const z = cols(zr, 0, H);
    const r = cols(zr, H, H);
    const huh = cols(hu, 2 * H, H);
    const n = tf.tanh(tf.add(cols(xt, 2 * H, H), tf.mul(r, huh)));
    const hPrev = h;
    h = tf.add(n, tf.mul(z, tf.sub(hPrev, n)));
    hs.push(h);
    keep.push(z, r, n, huh, hPrev);
  }
  const out = tf.concat(hs, 0) as tf.Tensor2D;
  a.onFinalState?.({ h: tf.keep(h) as tf.Tensor2D });
  const hPrevAll = tf.concat([a.initial.h, ...hs.slice(0, T - 1)], 0) as tf.Tensor2D;
  save([x, W, rec, hPrevAll, ...keep]);
  return {
    value: out,
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sx, sW, sr, shPrev] = saved as tf.Tensor2D[];
      const recT = tf.transpose(sr);
      const back = (t: number, dh: tf.Tensor) => {
        const [z, r, n, huh, hPrev] = saved.slice(4 + 5 * t, 9 + 5 * t) as tf.Tensor2D[];
        const dan = tf.mul(tf.mul(dh, tf.sub(1, z)), tf.sub(1, tf.square(n)));
        const daz = tf.mul(tf.mul(dh, tf.sub(hPrev, n)), tf.mul(z, tf.sub(1, z)));
        const dar = tf.mul(tf.mul(dan, huh), tf.mul(r, tf.sub(1, r)));
        const dxw = tf.concat([daz, dar, dan], 1);
        const dhu = tf.concat([daz, dar, tf.mul(dan, r)], 1) as tf.Tensor2D;
        return { dxw, dhu, dhNext: tf.add(tf.mul(dh, z), tf.matMul(dhu, recT)), carry: undefined };
      };
      let dhNext: tf.Tensor | undefined;
      const dxs: tf.Tensor[] = new Array(T);
      const dhs: tf.Tensor[] = new Array(T);
      for (let t = T - 1; t >= 0; t--) {
        let dh: tf.Tensor = rowsAt(dy, t, B);
        if (dhNext) dh = tf.add(dh, dhNext);
        const r = back(t, dh);
        dxs[t] = r.dxw;
        dhs[t] = r.dhu;
        dhNext = r.dhNext;
      }
      probeBack(a, T, rowsAt(dy, T - 1, B), undefined, back);
      const dXW = tf.concat(dxs, 0) as tf.Tensor2D;
      const dHU = tf.concat(dhs, 0) as tf.Tensor2D;
      const [dx, dW, dRec] = weightGrads(sx, sW, shPrev, dXW, dHU);
      const dBias = tf.stack([columnSums(dXW), columnSums(dHU)]);
      return [dx, dW, dRec, dBias, ...(a.initialGrad ? [dhNext!] : [])];
    },
  };
}

function rnnForward(
  a: RecurrentLayerArgs,
  x: tf.Tensor2D,
  W: tf.Tensor2D,
  rec: tf.Tensor2D,
  bias: tf.Tensor1D,
  save: Grad,
) {
  const { T, B } = a;
  const relu = a.activation === 'relu';
  const xw = tf.add(tf.matMul(x, W), bias) as tf.Tensor2D;
  let h: tf.Tensor = a.initial.h;
  const hs: tf.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const pre = tf.add(rowsAt(xw, t, B), tf.matMul(h as tf.Tensor2D, rec));
    h = relu ? tf.relu(pre) : tf.tanh(pre);
    hs.push(h);
  }
  const out = tf.concat(hs, 0) as tf.Tensor2D;
  a.onFinalState?.({ h: tf.keep(h) as tf.Tensor2D });
  const hPrev = tf.concat([a.initial.h, ...hs.slice(0, T - 1)], 0) as tf.Tensor2D;
  save([x, W, rec, hPrev, out]);
  return {
    value: out,
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sx, sW, sr, shPrev, sOut] = saved as tf.Tensor2D[];
      const recT = tf.transpose(sr);
      // f'(a) from the output: tanh' = 1 − h², relu' = [h > 0].
      const deriv = relu ? tf.cast(tf.greater(sOut, 0), 'float32') : tf.sub(1, tf.square(sOut));
      const back = (t: number, dh: tf.Tensor) => {
        const da = tf.mul(dh, rowsAt(deriv as tf.Tensor2D, t, B)) as tf.Tensor2D;
        return { da, dhNext: tf.matMul(da, recT), carry: undefined };
      };
      let dhNext: tf.Tensor | undefined;
      const das: tf.Tensor[] = new Array(T);
      for (let t = T - 1; t >= 0; t--) {
        let dh: tf.Tensor = rowsAt(dy, t, B);
        if (dhNext) dh = tf.add(dh, dhNext);
        const r = back(t, dh);
        das[t] = r.da;
        dhNext = r.dhNext;
      }
      probeBack(a, T, rowsAt(dy, T - 1, B), undefined, back);
      const dA = tf.concat(das, 0) as tf.Tensor2D;
      const [dx, dW, dRec] = weightGrads(sx, sW, shPrev, dA, dA);
      return [dx, dW, dRec, columnSums(dA), ...(a.initialGrad ? [dhNext!] : [])];
    },
  };
}

/**
 * Shared tail of the plain layers' backward passes: input and weight gradients as whole-window matmuls.
 * Explicit transposes: wasm's matMul with a transposed operand takes a ~1 GFLOP/s scalar path.
 */
function weightGrads(
  x: tf.Tensor2D,
  W: tf.Tensor2D,
  hPrev: tf.Tensor2D,
  dPre: tf.Tensor2D,
  dRecPre: tf.Tensor2D,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const dW = tf.matMul(tf.transpose(x), dPre);
  const dRec = tf.matMul(tf.transpose(hPrev), dRecPre);
  const dx = tf.matMul(dPre, tf.transpose(W));
  return [dx, dW, dRec];
}
