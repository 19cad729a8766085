import type { CellKind, ModelConfig } from '../config';

/** Kept free of TF.js so that checkpoint reading and inference load without it. */
export type Weights = Map<string, { shape: number[]; data: Float32Array }>;

/** Number of gate blocks stacked in the kernels: LSTM i,f,c,o; GRU z,r,h; RNN one. */
export function gateCount(cell: CellKind): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

/** Parameter names and shapes, in a fixed order: the checkpoint and the fast path rely on it. */
export function paramShapes(c: ModelConfig): [string, number[]][] {
  const G = gateCount(c.cell);
  // A numeric model (forecaster) has no embedding: layer 0 reads its `inputs` values directly.
  const numeric = c.inputs !== undefined;
  const out: [string, number[]][] = numeric ? [] : [['embedding', [c.vocabSize, c.embedding]]];
  for (let l = 0; l < c.layers; l++) {
    const inDim = l === 0 ? (numeric ? c.inputs! : c.embedding) : c.hidden;
    out.push([`layer_${l}/kernel`, [inDim, G * c.hidden]]);
    out.push([`layer_${l}/recurrent_kernel`, [c.hidden, G * c.hidden]]);
    out.push([`layer_${l}/bias`, c.cell === 'gru' ? [2, G * c.hidden] : [G * c.hidden]]);
  }
  out.push(['output/kernel', [c.hidden, c.vocabSize]]);
  out.push(['output/bias', [c.vocabSize]]);
  return out;
}

/** Which group a parameter's gradient norm is reported under: embedding, layer_0…, output. */
export function paramGroup(name: string): string {
  return name.split('/')[0];
}

/** Whether the wasm training kernel takes hidden size H (its 4-float vectors never straddle two gates). */
export function fitsTrainingKernel(H: number): boolean {
  return H % 4 === 0;
}
