import * as tf from '@tensorflow/tfjs';
import { prefetch, syncReads } from '../training/reads';
import type { Activation, CellKind } from '../config';

/**
 * Collects ‖∂L/∂h_t‖ per timestep during a backward pass. The backward pass pushes scalar
 * tensors; the trainer reads them once per step, so recording costs no extra syncs.
 */
export class TimestepGradRecorder {
  readonly norms: (tf.Scalar | number)[][] = [];

  add(layer: number, t: number, norm: tf.Scalar): void {
    (this.norms[layer] ??= [])[t] = tf.keep(norm);
  }

  /** A norm already computed (the fused kernels return it as a number). */
  addValue(layer: number, t: number, norm: number): void {
    (this.norms[layer] ??= [])[t] = norm;
  }

  /** [layer][t] as numbers; disposes the tensors. */
  /** On webgpu the norms are read back first (see training/reads). */
  async prefetch(): Promise<void> {
    await prefetch(this.norms.flatMap((row) => row.filter((v): v is tf.Scalar => typeof v !== 'number')));
  }

  read(): number[][] {
    const out = this.norms.map((row) => {
      // After prefetch() (webgpu) each scalar holds its value; else one stacked read is fastest.
      if (!syncReads()) return row.map((v) => (typeof v === 'number' ? v : v.dataSync()[0]));
      const tensors = row.filter((v): v is tf.Scalar => typeof v !== 'number');
      const values = tensors.length > 0 ? tf.stack(tensors) : undefined;
      const data = values?.dataSync();
      values?.dispose();
      let next = 0;
      return row.map((v) => (typeof v === 'number' ? v : data![next++]));
    });
    this.norms.forEach((row) => tf.dispose(row.filter((v): v is tf.Scalar => typeof v !== 'number')));
    this.norms.length = 0;
    return out;
  }
}

export interface LayerState {
  h: tf.Tensor2D;
  /** LSTM cell state; absent for GRU and RNN. */
  c?: tf.Tensor2D;
}

export interface RecurrentLayerArgs {
  cell: CellKind;
  activation: Activation;
  /** Timesteps and batch: inputs and outputs are time-major, flattened to [T·B, D]. */
  T: number;
  B: number;
  H: number;
  initial: LayerState;
  /**
   * Set by recurrentLayerFromState: the initial state is an input of the layer, and the backward
   * pass returns ∂L/∂h_0 (and ∂L/∂c_0) after the weights' gradients.
   */
  initialGrad?: boolean;
  /** Receives the final state (kept tensors) for carrying into the next window. */
  onFinalState?: (s: LayerState) => void;
  recorder?: TimestepGradRecorder;
  layerIndex?: number;
  /**
   * false forces the plain TF.js ops even where the fused wasm kernel applies (tests compare the
   * two). The fused path needs the wasm backend and H a multiple of 4.
   */
  fused?: boolean;
  /**
   * Token ids of the window (first layer only, and only on the fused path; see usesFusedPath):
   * x is then the embedding table [V, E], the layer's input its rows `ids`, and the gradient
   * returned for x the table's. The input projection is folded with the embedding (fusedLayers.ts).
   */
  ids?: Int32Array;
}
