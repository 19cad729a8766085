import type { ModelConfig } from '../config';
import type { InferState, StepModel } from '../infer';
import { gateCount, type Weights } from '../model/shapes';
import { KERNEL_WASM_BASE64 } from './kernelWasm';

interface Kernel {
  memory: WebAssembly.Memory;
  matvec(w: number, x: number, y: number, nIn: number, nOut: number): void;
  lstm_cell(zx: number, zh: number, c: number, h: number, hp: number): void;
  gru_cell(zx: number, zh: number, h: number, hp: number): void;
  rnn_cell(zx: number, zh: number, h: number, hp: number, relu: number): void;
}

let compiled: WebAssembly.Module | undefined;

/** Whether this runtime runs the SIMD kernel (Node 16.4+ and every current browser engine do). */
export function simdKernelAvailable(): boolean {
  try {
    compiled ??= new WebAssembly.Module(Buffer.from(KERNEL_WASM_BASE64, 'base64'));
    return true;
  } catch {
    return false;
  }
}

const ceil4 = (n: number): number => (n + 3) & ~3;
const ceil8 = (n: number): number => (n + 7) & ~7;

/**
 * Batch-1 forward pass for completion, in a small WebAssembly SIMD kernel (kernel.wat): matrix-vector
 * products over weights stored in the kernel's panel layout, and the gate math with a polynomial
 * exp (Math.exp/Math.tanh from JS cost as much as the products). The first layer's input
 * projection is folded with the embedding into a [vocab, G·H] table, so a token's input is one row
 * copy. Same interface and results (to float rounding) as InferenceModel.
 *
 * Sizes are padded: each gate block to hp = H rounded up to 4, so that lanes never straddle two
 * gates. Padded weights and biases are zero, which keeps padded state lanes exactly zero.
 */
export class FastInferenceModel implements StepModel {
  private readonly k: Kernel;
  private readonly mem: Float32Array;
  private readonly hp: number;
  private readonly zRows: number;
  /** Float offsets into `mem`. */
  private readonly wx: number[] = [];
  private readonly wh: number[] = [];
  private readonly bIn: number[] = [];
  private readonly bRec: number[] = [];
  private readonly hBuf: number[] = [];
  private readonly cBuf: number[] = [];
  private readonly wo: number;
  private readonly bo: number;
  private readonly zx: number;
  private readonly zh: number;
  private readonly lo: number;
  private readonly folded: number;

  constructor(
    readonly config: ModelConfig,
    weights: Weights,
  ) {
    if (!simdKernelAvailable()) throw new Error('WebAssembly SIMD is not available in this runtime');
    const { cell, hidden: H, layers, embedding: E, vocabSize: V } = config;
    const G = gateCount(cell);
    const hp = (this.hp = ceil4(H));
    const zRows = (this.zRows = ceil8(G * hp));
    const Ep = ceil4(E);
    const get = (n: string): Float32Array => {
      const w = weights.get(n);
      if (!w) throw new Error(`missing weight ${n}`);
      return w.data;
    };

    let top = 4; // float 0..3 unused
    const alloc = (floats: number): number => {
      const at = top;
      top += ceil8(floats);
      return at;
    };
    for (let l = 0; l < layers; l++) {
      this.wx.push(l === 0 ? alloc(zRows * Ep) : alloc(zRows * hp));
      this.wh.push(alloc(zRows * hp));
      this.bIn.push(alloc(zRows));
      this.bRec.push(alloc(zRows));
      this.hBuf.push(alloc(hp));
      this.cBuf.push(alloc(hp));
    }
    this.wo = alloc(ceil8(V) * hp);
    this.bo = alloc(ceil8(V));
    this.zx = alloc(zRows);
    this.zh = alloc(zRows);
    this.lo = alloc(ceil8(V));
    const embBuf = alloc(Ep);
    this.folded = alloc(V * zRows);

    const instance = new WebAssembly.Instance(compiled!, {});
    this.k = instance.exports as unknown as Kernel;
    // Sized once here and never grown again, so the Float32Array view stays valid.
    const pages = Math.ceil((top * 4) / 65536) - this.k.memory.buffer.byteLength / 65536;
    if (pages > 0) this.k.memory.grow(pages);
    const mem = (this.mem = new Float32Array(this.k.memory.buffer));

    // Output unit j of a gate-stacked matrix lands at row (gate · hp + unit).
    const row = (j: number, stacked: boolean): number => (stacked ? Math.floor(j / H) * hp + (j % H) : j);
    // The kernel's panel layout: 8 output rows × 4 inputs per 32-float block (see kernel.wat).
    const putPanels = (
      at: number,
      w: Float32Array,
      nIn: number,
      nOut: number,
      nInP: number,
      stacked: boolean,
    ): void => {
      for (let j = 0; j < nOut; j++) {
        const r = row(j, stacked);
        const base = at + (r >> 3) * nInP * 8 + (r & 7) * 4;
        for (let i = 0; i < nIn; i++) mem[base + (i >> 2) * 32 + (i & 3)] = w[i * nOut + j];
      }
    };
    const putVector = (at: number, v: Float32Array, stacked: boolean): void => {
      for (let j = 0; j < v.length; j++) mem[at + row(j, stacked)] = v[j];
    };
    const GH = G * H;
    for (let l = 0; l < layers; l++) {
      putPanels(this.wx[l], get(`layer_${l}/kernel`), l === 0 ? E : H, GH, l === 0 ? Ep : hp, true);
      putPanels(this.wh[l], get(`layer_${l}/recurrent_kernel`), H, GH, hp, true);
      const b = get(`layer_${l}/bias`);
      putVector(this.bIn[l], b.subarray(0, GH), true);
      if (cell === 'gru') putVector(this.bRec[l], b.subarray(GH, 2 * GH), true);
    }
    putPanels(this.wo, get('output/kernel'), H, V, hp, false);
    putVector(this.bo, get('output/bias'), false);

    // Fold embedding · W_x + b_in for every token, with the kernel itself.
    const emb = get('embedding');
    for (let v = 0; v < V; v++) {
      mem.set(emb.subarray(v * E, (v + 1) * E), embBuf);
      const dst = this.folded + v * zRows;
      mem.copyWithin(dst, this.bIn[0], this.bIn[0] + zRows);
      this.k.matvec(this.wx[0] * 4, embBuf * 4, dst * 4, Ep, zRows);
    }
  }

  newState(): InferState {
    const { hidden: H, layers } = this.config;
    return {
      h: Array.from({ length: layers }, () => new Float32Array(H)),
      c: Array.from({ length: layers }, () => new Float32Array(H)),
    };
  }

  cloneState(s: InferState): InferState {
    return { h: s.h.map((a) => a.slice()), c: s.c.map((a) => a.slice()) };
  }

  step(s: InferState, token: number): void {
    const { layers, cell } = this.config;
    const { mem, k, hp, zRows, zx, zh } = this;
    for (let l = 0; l < layers; l++) {
      const h = this.hBuf[l];
      mem.set(s.h[l], h);
      if (l === 0) mem.copyWithin(zx, this.folded + token * zRows, this.folded + (token + 1) * zRows);
      else {
        mem.copyWithin(zx, this.bIn[l], this.bIn[l] + zRows);
        k.matvec(this.wx[l] * 4, this.hBuf[l - 1] * 4, zx * 4, hp, zRows);
      }
      mem.copyWithin(zh, this.bRec[l], this.bRec[l] + zRows);
      k.matvec(this.wh[l] * 4, h * 4, zh * 4, hp, zRows);
      if (cell === 'lstm') {
        mem.set(s.c[l], this.cBuf[l]);
        k.lstm_cell(zx * 4, zh * 4, this.cBuf[l] * 4, h * 4, hp);
        s.c[l].set(mem.subarray(this.cBuf[l], this.cBuf[l] + s.c[l].length));
      } else if (cell === 'gru') k.gru_cell(zx * 4, zh * 4, h * 4, hp);
      else k.rnn_cell(zx * 4, zh * 4, h * 4, hp, this.config.activation === 'relu' ? 1 : 0);
      s.h[l].set(mem.subarray(h, h + s.h[l].length));
    }
  }

  logits(s: InferState, out = new Float32Array(this.config.vocabSize)): Float32Array {
    const { vocabSize: V, layers } = this.config;
    const { mem, lo } = this;
    const h = this.hBuf[layers - 1];
    mem.set(s.h[layers - 1], h);
    const rows = ceil8(V);
    mem.copyWithin(lo, this.bo, this.bo + rows);
    this.k.matvec(this.wo * 4, h * 4, lo * 4, this.hp, rows);
    out.set(mem.subarray(lo, lo + V));
    return out;
  }
}
