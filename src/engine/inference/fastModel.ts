import { Worker } from 'worker_threads';
import type { ModelConfig } from '../config';
import { cloneInferState, InferState, StepModel, zeroInferState } from '../infer';
import { gateCount, type Weights } from '../model/shapes';
import { KERNEL_WASM_BASE64 } from './kernelWasm';

interface Kernel {
  matvec(w: number, x: number, y: number, nIn: number, nOut: number): void;
  lstm_cell(zx: number, zh: number, c: number, h: number, n: number, stride: number): void;
  gru_cell(zx: number, zh: number, h: number, n: number, stride: number): void;
  rnn_cell(zx: number, zh: number, h: number, n: number, relu: number): void;
}

/**
 * The helper thread: waits for a job in the shared control block (spinning briefly, then
 * sleeping), runs its half with the same kernel on the same memory, and signals done.
 * ctl: [0] job sequence (-1: quit), [1] done sequence, [2] op, [3..8] arguments.
 */
const HELPER = `
const { workerData } = require('worker_threads');
const { module, memory, ctl } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
const c = new Int32Array(ctl);
const ops = [k.matvec, k.lstm_cell, k.gru_cell, k.rnn_cell];
let seen = 0;
for (;;) {
  let spins = 0;
  // Spin briefly (the next product of a completion comes within microseconds), then sleep
  // until notified: an idle helper costs no CPU.
  while (Atomics.load(c, 0) === seen) if (++spins > 100000) Atomics.wait(c, 0, seen);
  seen = Atomics.load(c, 0);
  if (seen < 0) break;
  ops[c[2]](c[3], c[4], c[5], c[6], c[7], c[8]);
  Atomics.store(c, 1, seen);
  Atomics.notify(c, 1);
}
`;

const OP = { matvec: 0, lstm: 1, gru: 2, rnn: 3 } as const;

/** Products smaller than this (multiply-adds) are not worth a thread handoff (~1 µs). */
const SPLIT_MIN = 32 * 1024;

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
  private helper?: Worker;
  private ctl?: Int32Array;
  private seq = 0;
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

  /**
   * `threads: 2` runs half of every product (and of the gate math) on a helper thread: the
   * results are the same bit for bit, each output being computed by the same code either way.
   */
  constructor(
    readonly config: ModelConfig,
    weights: Weights,
    opts: { threads?: 1 | 2 } = {},
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

    // Sized once and never grown, so the Float32Array view stays valid; shared, for the helper.
    const pages = Math.ceil((top * 4) / 65536);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    this.k = new WebAssembly.Instance(compiled!, { env: { memory } }).exports as unknown as Kernel;
    const mem = (this.mem = new Float32Array(memory.buffer));

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

    if (opts.threads === 2) {
      const ctl = new SharedArrayBuffer(16 * 4);
      this.ctl = new Int32Array(ctl);
      this.helper = new Worker(HELPER, { eval: true, workerData: { module: compiled, memory, ctl } });
      // An idle helper must not keep a process alive.
      this.helper.unref();
    }

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
    return zeroInferState(this.config);
  }

  cloneState(s: InferState): InferState {
    return cloneInferState(s);
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
        this.matvec(this.wx[l] * 4, this.hBuf[l - 1] * 4, zx * 4, hp, zRows);
      }
      mem.copyWithin(zh, this.bRec[l], this.bRec[l] + zRows);
      this.matvec(this.wh[l] * 4, h * 4, zh * 4, hp, zRows);
      if (cell === 'lstm') {
        mem.set(s.c[l], this.cBuf[l]);
        this.cell(OP.lstm, [zx * 4, zh * 4, this.cBuf[l] * 4, h * 4], hp);
        s.c[l].set(mem.subarray(this.cBuf[l], this.cBuf[l] + s.c[l].length));
      } else if (cell === 'gru') this.cell(OP.gru, [zx * 4, zh * 4, h * 4], hp);
      else k.rnn_cell(zx * 4, zh * 4, h * 4, hp, this.config.activation === 'relu' ? 1 : 0);
      s.h[l].set(mem.subarray(h, h + s.h[l].length));
    }
  }

  /** y += W x, the second half of the output rows on the helper thread when there is one. */
  private matvec(w: number, x: number, y: number, nIn: number, nOut: number): void {
    if (!this.ctl || nIn * nOut < SPLIT_MIN) return this.k.matvec(w, x, y, nIn, nOut);
    const mine = Math.ceil(nOut / 16) * 8; // whole panels of 8 rows
    const theirs = [w + mine * nIn * 4, x, y + mine * 4, nIn, nOut - mine];
    this.handoff(OP.matvec, theirs);
    this.k.matvec(w, x, y, nIn, mine);
    this.join(() => this.k.matvec(theirs[0], theirs[1], theirs[2], theirs[3], theirs[4]));
  }

  /** Gate math over hp units, split by units between the threads. */
  private cell(op: 1 | 2, ptrs: number[], hp: number): void {
    const run = (p: number[], n: number) =>
      op === OP.lstm
        ? this.k.lstm_cell(p[0], p[1], p[2], p[3], n, hp)
        : this.k.gru_cell(p[0], p[1], p[2], n, hp);
    if (!this.ctl || hp < 64) return run(ptrs, hp);
    const mine = Math.ceil(hp / 8) * 4;
    const theirs = ptrs.map((p) => p + mine * 4);
    this.handoff(op, [...theirs, hp - mine, hp]);
    run(ptrs, mine);
    this.join(() => run(theirs, hp - mine));
  }

  private handoff(op: number, args: number[]): void {
    const c = this.ctl!;
    c[2] = op;
    for (let i = 0; i < args.length; i++) c[3 + i] = args[i];
    Atomics.store(c, 0, ++this.seq);
    Atomics.notify(c, 0);
  }

  /**
   * Waits for the helper's half: spinning (it is due within microseconds), then sleeping. A
   * helper that makes no progress for a second is given up: `theirs` does its half here and the
   * model runs on one thread from then on, rather than hanging the completion worker.
   */
  private join(theirs: () => void): void {
    const c = this.ctl!;
    for (let spins = 0; Atomics.load(c, 1) !== this.seq; spins++) {
      if (spins < 200_000) continue;
      const done = Atomics.load(c, 1);
      if (done === this.seq) break;
      if (Atomics.wait(c, 1, done, 1000) === 'timed-out' && Atomics.load(c, 1) !== this.seq) {
        this.dispose();
        theirs();
        return;
      }
    }
  }

  /** Stops the helper thread, if any. */
  dispose(): void {
    if (!this.ctl) return;
    Atomics.store(this.ctl, 0, -1);
    Atomics.notify(this.ctl, 0);
    void this.helper?.terminate();
    this.ctl = undefined;
  }

  logits(s: InferState, out = new Float32Array(this.config.vocabSize)): Float32Array {
    const { vocabSize: V, layers } = this.config;
    const { mem, lo } = this;
    const h = this.hBuf[layers - 1];
    mem.set(s.h[layers - 1], h);
    const rows = ceil8(V);
    mem.copyWithin(lo, this.bo, this.bo + rows);
    this.matvec(this.wo * 4, h * 4, lo * 4, this.hp, rows);
    out.set(mem.subarray(lo, lo + V));
    return out;
  }
}
