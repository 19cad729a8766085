import type { ModelConfig } from '../config';
import { cloneInferState, InferState, StepModel, type TraceBlock, zeroInferState } from './stepModel';
import { gateCount, type Weights } from '../model/shapes';
import { HelperChannel } from '../wasm/helperChannel';
import { KERNEL_WASM_BASE64 } from '../wasm/inferenceKernelWasm';

interface Kernel {
  matvec(w: number, x: number, y: number, nIn: number, nOut: number): void;
  matvec2(w: number, x: number, y: number, nIn: number, nOut: number, xs: number, ys: number): void;
  lstm_cell(zx: number, zh: number, c: number, h: number, n: number, stride: number): void;
  gru_cell(zx: number, zh: number, h: number, n: number, stride: number): void;
  rnn_cell(zx: number, zh: number, h: number, n: number, relu: number): void;
}

/**
 * One layer's recurrence over `n` timesteps whose input projections (bias included) are already
 * in zx: per step, zh = b_rec + U h, the gate math, and h (and c) appended to hs (and cs).
 * Offsets are in bytes; cell 0/1/2 = lstm/gru/rnn. Self-contained, because the helper thread runs
 * its source text too (see HELPER_SETUP): the same code on either thread gives the same bits.
 */
function runLayer(k: Kernel, mem: Float32Array, a: ArrayLike<number>): void {
  const wh = a[0],
    bRec = a[1] >> 2,
    zx = a[2],
    zRows = a[3],
    h = a[4],
    c = a[5],
    zh = a[6];
  const hs = a[7] >> 2,
    cs = a[8] >> 2,
    n = a[9],
    hp = a[10],
    cell = a[11],
    relu = a[12];
  for (let t = 0; t < n; t++) {
    mem.copyWithin(zh >> 2, bRec, bRec + zRows);
    k.matvec(wh, h, zh, hp, zRows);
    const z = zx + t * zRows * 4;
    if (cell === 0) k.lstm_cell(z, zh, c, h, hp, hp);
    else if (cell === 1) k.gru_cell(z, zh, h, hp, hp);
    else k.rnn_cell(z, zh, h, hp, relu);
    mem.copyWithin(hs + t * hp, h >> 2, (h >> 2) + hp);
    if (cell === 0) mem.copyWithin(cs + t * hp, c >> 2, (c >> 2) + hp);
  }
}

/**
 * Input projections of a layer for timesteps [from, to) of a block: zx_t = b_in + W_x x_t, two
 * timesteps per pass (matvec2). Byte offsets; self-contained like runLayer.
 */
function projectBlock(
  k: Kernel,
  mem: Float32Array,
  wx: number,
  xs: number,
  zx: number,
  bIn: number,
  zRows: number,
  hp: number,
  from: number,
  to: number,
): void {
  for (let t = from; t < to; t++) mem.copyWithin((zx >> 2) + t * zRows, bIn >> 2, (bIn >> 2) + zRows);
  let t = from;
  for (; t + 2 <= to; t += 2)
    k.matvec2(wx, xs + t * hp * 4, zx + t * zRows * 4, hp, zRows, hp * 4, zRows * 4);
  if (t < to) k.matvec(wx, xs + t * hp * 4, zx + t * zRows * 4, hp, zRows);
}

/**
 * The helper's block job (op 4): the part of the top layer's input projections it was given
 * (args 13-16: W_x, the block below, first timestep, b_in; W_x 0 for none), then the recurrence.
 * The two functions are passed in rather than named: a minified bundle renames them, and the
 * helper's copy of this source must not depend on what they are called.
 */
function layerJob(
  k: Kernel,
  mem: Float32Array,
  a: ArrayLike<number>,
  project: typeof projectBlock,
  run: typeof runLayer,
): void {
  if (a[13]) project(k, mem, a[13], a[14], a[2], a[16], a[3], a[10], a[15], a[9]);
  run(k, mem, a);
}

/**
 * What the helper thread runs (see HelperChannel): a product or the gate math for part of the
 * rows (ops 0-3, the kernel's exports), or a block of the top layer (op 4, layerJob).
 */
const HELPER_SETUP = `
const mem = new Float32Array(memory.buffer);
const runLayer = ${runLayer.toString()};
const projectBlock = ${projectBlock.toString()};
const layerJob = ${layerJob.toString()};
const ops = [k.matvec, k.lstm_cell, k.gru_cell, k.rnn_cell];
const run = (op, a) => (op === 4 ? layerJob(k, mem, a, projectBlock, runLayer) : ops[op](...a));
`;

/** How long the helper spins for its next job (ms): within one completion they come quickly. */
const HELPER_SPIN_MS = 4;
/** How long this thread spins for the helper's share before sleeping (ms). */
const JOIN_SPIN_MS = 20;

const OP = { matvec: 0, lstm: 1, gru: 2, rnn: 3, layer: 4 } as const;

/** Timesteps per block of `advance`: its buffers are sized for this many. */
const CHUNK = 32;

/**
 * The part of the top layer's input projections this thread computes while the helper runs the
 * top layer, by number of layers: the rest is part of the helper's job. With two layers, this
 * thread runs layer 0 and the helper layer 1: both then have about as much to do. `trace`'s
 * thread also computes the logits and records each block, so it starts with less.
 */
const ADVANCE_SHARE = (L: number): number => Math.max(0, Math.min(1, 0.5 - (L - 2) / 1.6));
const TRACE_SHARE = (L: number): number => Math.max(0, Math.min(1, 0.3 - (L - 2) / 1.6));
/** A wait for the helper's block shorter than this (ms) means it was done first: see `trace`. */
const BALANCED_WAIT_MS = 0.02;

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

/** Float offsets of a block's buffers, per layer and block (see FastInferenceModel.blocks). */
interface Blocks {
  hs(l: number, b: number): number;
  cs(l: number, b: number): number;
  zx(l: number, b: number): number;
}

const ceil4 = (n: number): number => (n + 3) & ~3;
const ceil8 = (n: number): number => (n + 7) & ~7;

/**
 * Batch-1 forward pass for completion, in a small WebAssembly SIMD kernel (wasm/inferenceKernel.wat): matrix-vector
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
  /** The helper thread, while there is one (it is given up if it stops answering). */
  private helper?: HelperChannel;
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
  /** For `advance`, per layer: a block of input projections, of h and of c, and a zh buffer of
   * its own (two layers may run at once). */
  private readonly zxs: number[] = [];
  private readonly hss: number[] = [];
  private readonly css: number[] = [];
  private readonly zhs: number[] = [];
  /** For `trace`, per half: the top layer's h before a block (row 0) and after each of its
   * tokens; and one block's logits. */
  private readonly traceTop: number;
  private readonly traceLogits: number;
  /**
   * The helper's own buffers (float offsets), where every job posted to it writes, copied where
   * they belong once it is done: a helper given up (say, starved of CPU past `patienceMs`) may
   * still finish its job later, and then writes only where nothing is read again. zx, zh, h, c,
   * hs, cs: a top-layer block (see startTop); y: a product's rows; h and c: the gate math's units.
   */
  private readonly own?: { zx: number; zh: number; h: number; c: number; hs: number; cs: number; y: number };
  /** The job posted to the helper and not yet waited for. */
  private posted?: number[];
  /** How long this thread spins for the helper's block before sleeping (ms). */
  private readonly blockSpinMs: number;
  /** How long a job may go without finishing before the helper is given up (ms, whole seconds). */
  private readonly patienceMs: number;

  /**
   * `threads: 2` runs half of every product (and of the gate math) on a helper thread: the
   * results are the same bit for bit, each output being computed by the same code either way.
   * `blockSpinMs`: how long either thread spins for the other before sleeping (the idle helper
   * for its next job, this thread for the helper's block), where jobs are blocks far apart
   * enough that a sleep's wake-up matters less than a spin taking a busy machine's only core.
   * `patienceMs` (default 1 s): how long a helper's job may take before the helper is given up
   * and the job redone here; the model then runs on one thread. A caller that can wait (a
   * whole-document trace) keeps its second thread through a long stall by waiting longer.
   */
  constructor(
    readonly config: ModelConfig,
    weights: Weights,
    opts: { threads?: 1 | 2; blockSpinMs?: number; patienceMs?: number } = {},
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
      this.zxs.push(alloc(2 * CHUNK * zRows));
      this.hss.push(alloc(2 * CHUNK * hp));
      this.css.push(alloc(2 * CHUNK * hp));
      this.zhs.push(alloc(zRows));
    }
    this.wo = alloc(ceil8(V) * hp);
    this.bo = alloc(ceil8(V));
    this.zx = alloc(zRows);
    this.zh = alloc(zRows);
    this.lo = alloc(ceil8(V));
    const embBuf = alloc(Ep);
    this.traceTop = alloc(2 * (CHUNK + 1) * hp);
    this.traceLogits = alloc(CHUNK * ceil8(V));
    if (opts.threads === 2)
      this.own = {
        zx: alloc(CHUNK * zRows),
        zh: alloc(zRows),
        h: alloc(hp),
        c: alloc(hp),
        hs: alloc(CHUNK * hp),
        cs: alloc(CHUNK * hp),
        y: alloc(Math.max(zRows, ceil8(V))),
      };
    this.folded = alloc(V * zRows);

    // Sized once and never grown, so the Float32Array view stays valid; shared, for the helper.
    const pages = Math.ceil((top * 4) / 65536);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    this.k = new WebAssembly.Instance(compiled!, { env: { memory } }).exports as unknown as Kernel;
    const mem = (this.mem = new Float32Array(memory.buffer));

    // Output unit j of a gate-stacked matrix lands at row (gate · hp + unit).
    const row = (j: number, stacked: boolean): number => (stacked ? Math.floor(j / H) * hp + (j % H) : j);
    // The kernel's panel layout: 8 output rows × 4 inputs per 32-float block (see inferenceKernel.wat).
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

    this.blockSpinMs = opts.blockSpinMs ?? JOIN_SPIN_MS;
    this.patienceMs = opts.patienceMs ?? 1000;
    if (opts.threads === 2) {
      this.helper =
        HelperChannel.start({
          module: compiled!,
          memory,
          setup: HELPER_SETUP,
          spinMs: opts.blockSpinMs ?? HELPER_SPIN_MS,
        }) ?? undefined;
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

  /** 2 while the helper thread takes part, else 1 (never asked for, or given up). */
  get threads(): 1 | 2 {
    return this.helper ? 2 : 1;
  }

  /**
   * Resolves true once the helper thread takes jobs; false without one, or if it has not started
   * within `ms`. Until then `advance` and `trace` run every block here (the same results): a
   * caller need not wait for it, but a test of the two-thread path must.
   */
  async helperStarted(ms = 10_000): Promise<boolean> {
    const until = performance.now() + ms;
    while (this.helper && !this.helper.ready() && !this.helper.gone() && performance.now() < until)
      await new Promise((r) => setTimeout(r, 5));
    return this.helper?.ready() ?? false;
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

  /**
   * Advances `s` over many tokens at once (a document's context), with the same results as
   * calling `step` for each, bit for bit. Layer by layer over blocks of CHUNK tokens: once layer
   * l-1 has run over a block, layer l's input projections are computed two tokens per pass
   * (matvec2: each weight load serves both; ≈1.2× faster than one at a time). With the helper
   * thread, the top layer of block k runs there while this thread runs the layers below for
   * block k+1: one handoff per block instead of several per token.
   *
   * `keep(i)` asks for the state after tokens[0..i]; it is passed to `onState` as a new object.
   */
  advance(
    s: InferState,
    tokens: ArrayLike<number>,
    keep: (i: number) => boolean = () => false,
    onState: (i: number, state: InferState) => void = () => undefined,
  ): void {
    const L = this.config.layers;
    const n = tokens.length;
    if (this.helper && L < 2) {
      // Nothing to overlap: splitting each product between the threads is the faster way.
      for (let i = 0; i < n; i++) {
        this.step(s, tokens[i]);
        if (keep(i)) onState(i, this.cloneState(s));
      }
      return;
    }
    this.loadState(s);
    const at = this.blocks();
    const pipelined = this.helper !== undefined;
    const own = pipelined ? L - 1 : L; // layers run on this thread
    // States asked for in the block whose top layer is still running on the helper.
    let pending: { i: number; t: number; state: InferState }[] = [];
    const finish = (b: number): void => {
      // Its job is done (or was done here): the top layer's states of block b are in place.
      for (const p of pending) {
        this.fill(at, L - 1, b, p.t, p.state);
        onState(p.i, p.state);
      }
      pending = [];
    };
    let b = 0;
    try {
      for (let start = 0; start < n; start += CHUNK, b++) {
        const m = Math.min(CHUNK, n - start);
        this.runBelow(at, tokens, start, b, m, own);
        const mine = this.topShare(m, ADVANCE_SHARE);
        if (pipelined) {
          // This thread's share of the top layer's projections, while the helper still runs the
          // previous block; then wait for it.
          this.project(at, L - 1, b, 0, mine);
          this.endTop();
          finish(b - 1);
        }
        for (let t = 0; t < m; t++) {
          if (!keep(start + t)) continue;
          const state = zeroInferState(this.config);
          for (let l = 0; l < own; l++) this.fill(at, l, b, t, state);
          if (pipelined) pending.push({ i: start + t, t, state });
          else onState(start + t, state);
        }
        if (pipelined) this.startTop(this.layerArgs(at, L - 1, b, m, mine));
      }
      this.endTop();
      finish(b - 1);
    } finally {
      this.endTop(); // a callback that threw must not leave the helper running on our buffers
    }
    this.storeState(s);
  }

  /**
   * Runs over `tokens` from `s` (left at the end state) with the same results as `step` for
   * each, bit for bit, and hands `onBlock` every layer's states and the logits that predicted
   * each token: what an inspection records, without a state object or a separate logits call per
   * token. Layer by layer over blocks of CHUNK tokens, so that the input projections of the
   * layers above the first and the output head (logits) are products over the block, two tokens
   * per weight load (matvec2), rather than one matrix-vector product per token.
   *
   * With the helper thread, it is `advance`'s pipeline: the top layer of block b runs there while
   * this thread computes block b−1's logits, hands it to `onBlock` and runs the layers below for
   * block b+1. Each output is computed by the same code either way, so the results are the same
   * bit for bit with one thread or two.
   */
  trace(s: InferState, tokens: ArrayLike<number>, onBlock: (block: TraceBlock) => void): void {
    const L = this.config.layers;
    const { mem, hp } = this;
    const n = tokens.length;
    this.loadState(s);
    // Per half of traceTop: row 0 the top layer's state before the block, rows 1… its states
    // after each token; rows 0…count−1 are then the head's input for the block.
    const head = (b: number): number => this.traceTop + (b & 1) * (CHUNK + 1) * hp;
    const at = this.blocks((b) => head(b) + hp);
    const top = this.hBuf[L - 1];
    // This thread's part of the top layer's input projections (timesteps per block). It also
    // computes the logits and records each block (slower while the trace's memory is new), so
    // its part follows who waited for whom: the results are the same whoever computes them.
    let share = L > 1 ? this.topShare(CHUNK, TRACE_SHARE) : CHUNK;
    let b = 0;
    try {
      for (let start = 0; start < n; start += CHUNK, b++) {
        const m = Math.min(CHUNK, n - start);
        this.runBelow(at, tokens, start, b, m, L - 1);
        const mine = Math.min(m, share);
        if (L > 1) this.project(at, L - 1, b, 0, mine);
        // Block b−1's top layer: its last state is where block b starts from.
        const waited = this.endTop();
        if (L > 1 && waited !== undefined)
          share = waited > BALANCED_WAIT_MS ? Math.min(CHUNK, share + 2) : Math.max(0, share - 2);
        mem.copyWithin(head(b), top, top + hp);
        this.startTop(this.layerArgs(at, L - 1, b, m, mine));
        if (b > 0) this.emit(at, b - 1, head(b - 1), start - CHUNK, CHUNK, onBlock);
      }
      this.endTop();
      if (b > 0) this.emit(at, b - 1, head(b - 1), (b - 1) * CHUNK, n - (b - 1) * CHUNK, onBlock);
    } finally {
      this.endTop(); // a callback that threw must not leave the helper running on our buffers
    }
    this.storeState(s);
  }

  /** Block b's logits (from the head's input at `head`), then the block to `onBlock`. */
  private emit(
    at: Blocks,
    b: number,
    head: number,
    from: number,
    count: number,
    onBlock: (block: TraceBlock) => void,
  ): void {
    const { layers: L, vocabSize: V, cell } = this.config;
    const { mem, hp, k } = this;
    const vRows = ceil8(V);
    projectBlock(k, mem, this.wo * 4, head * 4, this.traceLogits * 4, this.bo * 4, vRows, hp, 0, count);
    const view = (offset: number, floats: number): Float32Array => mem.subarray(offset, offset + floats);
    const layers = Array.from({ length: L }, (_, l) => l);
    onBlock({
      from,
      count,
      stride: hp,
      h: layers.map((l) => view(at.hs(l, b), count * hp)),
      c: cell === 'lstm' ? layers.map((l) => view(at.cs(l, b), count * hp)) : [],
      logits: view(this.traceLogits, count * vRows),
      logitStride: vRows,
    });
  }

  /** `s` into the kernel's per-layer h and c. */
  private loadState(s: InferState): void {
    for (let l = 0; l < this.config.layers; l++) {
      this.mem.set(s.h[l], this.hBuf[l]);
      this.mem.set(s.c[l], this.cBuf[l]);
    }
  }

  /** The kernel's per-layer h and c into `s`. */
  private storeState(s: InferState): void {
    const { mem } = this;
    for (let l = 0; l < this.config.layers; l++) {
      s.h[l].set(mem.subarray(this.hBuf[l], this.hBuf[l] + s.h[l].length));
      s.c[l].set(mem.subarray(this.cBuf[l], this.cBuf[l] + s.c[l].length));
    }
  }

  /**
   * Where block b's buffers of layer l lie: blocks alternate between two halves of each layer's
   * buffers, so that the helper reads block b's while this thread writes block b+1's. `topHs`
   * puts the top layer's states elsewhere (trace: next to the state before the block).
   */
  private blocks(topHs?: (b: number) => number): Blocks {
    const { hp, zRows } = this;
    const L = this.config.layers;
    return {
      hs: (l, b) => (topHs && l === L - 1 ? topHs(b) : this.hss[l] + (b & 1) * CHUNK * hp),
      cs: (l, b) => this.css[l] + (b & 1) * CHUNK * hp,
      zx: (l, b) => this.zxs[l] + (b & 1) * CHUNK * zRows,
    };
  }

  /** Layer l's input projections (l ≥ 1) for timesteps [from, to) of block b. */
  private project(at: Blocks, l: number, b: number, from: number, to: number): void {
    const { k, mem, zRows, hp } = this;
    projectBlock(
      k,
      mem,
      this.wx[l] * 4,
      at.hs(l - 1, b) * 4,
      at.zx(l, b) * 4,
      this.bIn[l] * 4,
      zRows,
      hp,
      from,
      to,
    );
  }

  /**
   * runLayer's arguments for layer l over block b's m tokens; with projFrom < m, layerJob's too:
   * the layer's input projections from timestep projFrom on are part of the job.
   */
  private layerArgs(at: Blocks, l: number, b: number, m: number, projFrom = m): number[] {
    const { cell, activation } = this.config;
    return [
      this.wh[l] * 4,
      this.bRec[l] * 4,
      at.zx(l, b) * 4,
      this.zRows,
      this.hBuf[l] * 4,
      this.cBuf[l] * 4,
      this.zhs[l] * 4,
      at.hs(l, b) * 4,
      at.cs(l, b) * 4,
      m,
      this.hp,
      cell === 'lstm' ? 0 : cell === 'gru' ? 1 : 2,
      activation === 'relu' ? 1 : 0,
      projFrom < m ? this.wx[l] * 4 : 0,
      l > 0 ? at.hs(l - 1, b) * 4 : 0,
      projFrom,
      this.bIn[l] * 4,
    ];
  }

  /** Layer 0's inputs for block b (tokens[start…start+m)), then layers 0…own−1 over it. */
  private runBelow(
    at: Blocks,
    tokens: ArrayLike<number>,
    start: number,
    b: number,
    m: number,
    own: number,
  ): void {
    const { mem, zRows, k } = this;
    const zx = at.zx(0, b);
    for (let t = 0; t < m; t++) {
      const from = this.folded + tokens[start + t] * zRows;
      mem.copyWithin(zx + t * zRows, from, from + zRows);
    }
    for (let l = 0; l < own; l++) {
      if (l > 0) this.project(at, l, b, 0, m);
      runLayer(k, mem, this.layerArgs(at, l, b, m));
    }
  }

  /**
   * Timesteps [0, mine) of a block of m whose top-layer input projections this thread computes
   * (an even number, for matvec2), given the share `share(L)` of them it should take.
   */
  private topShare(m: number, share: (layers: number) => number): number {
    return Math.min(m, 2 * Math.round((m * share(this.config.layers)) / 2));
  }

  /** Block state of layer l after token t of block b into `st`. */
  private fill(at: Blocks, l: number, b: number, t: number, st: InferState): void {
    const { mem, hp } = this;
    const h = at.hs(l, b) + t * hp;
    st.h[l].set(mem.subarray(h, h + st.h[l].length));
    const c = at.cs(l, b) + t * hp;
    if (this.config.cell === 'lstm') st.c[l].set(mem.subarray(c, c + st.c[l].length));
  }

  /**
   * The top layer's job for a block (layerArgs): posted to the helper when it is ready, else run
   * here (no helper, one still starting, or one given up). A helper that failed is given up.
   */
  private startTop(job: number[]): void {
    if (this.helper?.gone()) this.dispose();
    const { k, mem, hp, zRows } = this;
    const own = this.own;
    if (!this.helper?.ready() || !own) return layerJob(k, mem, job, projectBlock, runLayer);
    // The helper runs the block on its own buffers, from copies of the state and of the input
    // projections this thread made (those before the job's own, projFrom); endTop copies its
    // results back. Ours stay as they were, for endTop to redo the job from if it gives up.
    const projFrom = job[13] ? job[15] : job[9];
    mem.copyWithin(own.h, job[4] >> 2, (job[4] >> 2) + hp);
    mem.copyWithin(own.c, job[5] >> 2, (job[5] >> 2) + hp);
    mem.copyWithin(own.zx, job[2] >> 2, (job[2] >> 2) + projFrom * zRows);
    const theirs = job.slice();
    theirs[2] = own.zx * 4;
    theirs[4] = own.h * 4;
    theirs[5] = own.c * 4;
    theirs[6] = own.zh * 4;
    theirs[7] = own.hs * 4;
    theirs[8] = own.cs * 4;
    this.helper.post(OP.layer, theirs);
    this.posted = job;
  }

  /**
   * Waits for the job startTop posted, if any, and copies its results into place (or does it
   * here if the helper is given up meanwhile); how long that took (ms), or undefined when none
   * was posted.
   */
  private endTop(): number | undefined {
    const job = this.posted;
    if (!job) return undefined;
    this.posted = undefined;
    const { k, mem, hp } = this;
    const own = this.own!;
    const m = job[9];
    const t0 = performance.now();
    this.join(
      () => layerJob(k, mem, job, projectBlock, runLayer),
      () => {
        mem.copyWithin(job[4] >> 2, own.h, own.h + hp);
        mem.copyWithin(job[5] >> 2, own.c, own.c + hp);
        mem.copyWithin(job[7] >> 2, own.hs, own.hs + m * hp);
        if (this.config.cell === 'lstm') mem.copyWithin(job[8] >> 2, own.cs, own.cs + m * hp);
      },
      this.blockSpinMs,
    );
    return performance.now() - t0;
  }

  /** y += W x, the second half of the output rows on the helper thread when there is one. */
  private matvec(w: number, x: number, y: number, nIn: number, nOut: number): void {
    const own = this.own;
    if (!this.helper || !own || nIn * nOut < SPLIT_MIN) return this.k.matvec(w, x, y, nIn, nOut);
    const { k, mem } = this;
    const mine = Math.ceil(nOut / 16) * 8; // whole panels of 8 rows
    const rows = nOut - mine;
    // Their rows are summed into a copy of y's in the helper's own buffer (see `own`).
    mem.copyWithin(own.y, (y >> 2) + mine, (y >> 2) + nOut);
    const wTheirs = w + mine * nIn * 4;
    this.helper.post(OP.matvec, [wTheirs, x, own.y * 4, nIn, rows]);
    k.matvec(w, x, y, nIn, mine);
    this.join(
      () => k.matvec(wTheirs, x, y + mine * 4, nIn, rows),
      () => mem.copyWithin((y >> 2) + mine, own.y, own.y + rows),
    );
  }

  /**
   * Gate math over hp units, split by units between the threads. ptrs: z and zh (read), then
   * the state it updates (LSTM: c, and h written; GRU: h).
   */
  private cell(op: 1 | 2, ptrs: number[], hp: number): void {
    const { k, mem } = this;
    const run = (p: number[], n: number) =>
      op === OP.lstm ? k.lstm_cell(p[0], p[1], p[2], p[3], n, hp) : k.gru_cell(p[0], p[1], p[2], n, hp);
    const own = this.own;
    if (!this.helper || !own || hp < 64) return run(ptrs, hp);
    const mine = Math.ceil(hp / 8) * 4;
    const n = hp - mine;
    const theirs = ptrs.map((p) => p + mine * 4);
    // Their units of the state live in the helper's own buffers meanwhile (see `own`).
    const state = op === OP.lstm ? [theirs[2], theirs[3]] : [theirs[2]];
    const kept = op === OP.lstm ? [own.c, own.h] : [own.h];
    state.forEach((p, i) => mem.copyWithin(kept[i], p >> 2, (p >> 2) + n));
    const posted = theirs.slice();
    kept.forEach((o, i) => (posted[2 + i] = o * 4));
    this.helper.post(op, [...posted, n, hp]);
    run(ptrs, mine);
    this.join(
      () => run(theirs, n),
      () => state.forEach((p, i) => mem.copyWithin(p >> 2, kept[i], kept[i] + n)),
    );
  }

  /**
   * Waits for the helper's job: spinning (it is due within microseconds to a few milliseconds),
   * then sleeping. Done: `back` copies its results from the helper's buffers into place. A
   * helper that makes no progress for `patienceMs`, or whose job failed, is given up: `here`
   * does its job on this thread, and the model runs on one thread from then on, rather than
   * hanging the completion worker.
   */
  private join(here: () => void, back: () => void, spinMs = JOIN_SPIN_MS): void {
    if (!this.helper) return; // no helper (any more): nothing was handed off
    // wait() sleeps in slices of 1 s and asks after each whether to go on.
    let waited = 0;
    if (this.helper.wait(spinMs, () => (waited += 1000) < this.patienceMs) === 'done') return back();
    this.dispose();
    here();
  }

  /** Stops the helper thread, if any. */
  dispose(): void {
    this.helper?.stop();
    this.helper = undefined;
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
