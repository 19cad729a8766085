import * as tf from '@tensorflow/tfjs';
import type { LayerState } from '../../model/layers';
import { readRows, readValues } from '../../training/reads';
import type { Seq2seqModel } from './model';
import { makeBatch, type EncodedPair } from './data';
import type { SideVocab } from './vocab';

export interface DecodeOptions {
  /** 1 = greedy. */
  beam: number;
  /** Hypotheses score log p / length^lengthPenalty (0 = raw log p). */
  lengthPenalty: number;
  /** At most ratio × source length + 5 output tokens. */
  maxLenRatio: number;
  /** Never repeat an n-gram of this order (0 = off). */
  blockNgram: number;
}

export interface Decoded {
  ids: number[];
  /** Attention weights per output token over the source tokens (with the source's end token). */
  attention: number[][];
  score: number;
}

/** Runs `fn` in a tidy scope, keeping the tensors `keep` names from its result. */
function scoped<T>(fn: () => T, keep: (r: T) => tf.Tensor[]): T {
  let out!: T;
  tf.tidy(() => {
    out = fn();
    for (const t of keep(out)) tf.keep(t);
  });
  return out;
}

function stateTensors(s: LayerState[]): tf.Tensor[] {
  return s.flatMap((l) => (l.c ? [l.h, l.c] : [l.h]));
}

function disposeStates(s: LayerState[]): void {
  for (const l of s) tf.dispose([l.h, ...(l.c ? [l.c] : [])]);
}

/** Rows `from` of each state (beams that survive, possibly repeated). */
function pickRows(s: LayerState[], from: number[]): LayerState[] {
  const idx = tf.tensor1d(from, 'int32');
  const out = s.map((l) => ({
    h: tf.keep(tf.gather(l.h, idx)) as tf.Tensor2D,
    c: l.c ? (tf.keep(tf.gather(l.c, idx)) as tf.Tensor2D) : undefined,
  }));
  idx.dispose();
  return out;
}

/** Whether appending `tok` to `seq` repeats one of its n-grams. */
export function repeatsNgram(seq: number[], tok: number, n: number): boolean {
  if (n <= 0 || seq.length < n) return false;
  const tail = [...seq.slice(seq.length - n + 1), tok];
  for (let i = 0; i + n <= seq.length; i++) {
    let same = true;
    for (let j = 0; j < n && same; j++) same = seq[i + j] === tail[j];
    if (same) return true;
  }
  return false;
}

function lengthNorm(score: number, len: number, alpha: number): number {
  return alpha > 0 ? score / Math.pow(Math.max(1, len), alpha) : score;
}

export interface Cand {
  from: number;
  tok: number;
  score: number;
}

/** Best first; ties by hypothesis, then by token. */
const byScore = (a: Cand, b: Cand) => b.score - a.score || a.from - b.from || a.tok - b.tok;

/** Inserts c into `top` (sorted by byScore), keeping at most `n`. */
function insertTop(top: Cand[], c: Cand, n: number): void {
  let i = top.length;
  while (i > 0 && byScore(c, top[i - 1]) < 0) i--;
  if (i >= n) return;
  top.splice(i, 0, c);
  if (top.length > n) top.pop();
}

/**
 * Every hypothesis's extensions that the search can take, best first. The search takes at most 2K
 * candidates (K live, K finished), so each hypothesis's 2K best tokens hold every one it can take,
 * in the same order as sorting all K·V of them.
 */
export function candidates(
  live: { ids: number[]; score: number }[],
  logp: Float32Array,
  V: number,
  K: number,
  target: SideVocab,
  blockNgram: number,
): Cand[] {
  const cands: Cand[] = [];
  live.forEach((h, i) => {
    const top: Cand[] = [];
    for (let v = 0; v < V; v++) {
      if (v === target.pad || v === target.bos) continue;
      const score = h.score + logp[i * V + v];
      if (top.length === 2 * K && !(score > top[top.length - 1].score)) continue;
      if (blockNgram > 0 && v !== target.eos && repeatsNgram(h.ids, v, blockNgram)) continue;
      insertTop(top, { from: i, tok: v, score }, 2 * K);
    }
    cands.push(...top);
  });
  return cands.sort(byScore);
}

/**
 * Beam search for one source: `beam` hypotheses extended a token at a time, each scored by its
 * summed log-probability; a hypothesis that emits the end token is finished and ranked by its
 * length-normalised score; the search stops when the best finished one beats every live one
 * (or at the maximum length). Width 1 is greedy decoding.
 */
export async function beamSearch(
  model: Seq2seqModel,
  target: SideVocab,
  src: Int32Array,
  o: DecodeOptions,
): Promise<Decoded> {
  const K = Math.max(1, o.beam);
  const maxLen = Math.max(1, Math.ceil(o.maxLenRatio * src.length) + 5);
  const S = src.length;
  const enc1 = scoped(
    () => model.encode(src, Int32Array.of(S), S, 1, { training: false }),
    (e) => [e.memory, e.bias, e.bridge],
  );
  interface Hyp {
    ids: number[];
    attn: number[][];
    score: number;
  }
  let live: Hyp[] = [{ ids: [], attn: [], score: 0 }];
  const finished: (Hyp & { norm: number })[] = [];
  let states = scoped(() => model.initialStates(enc1), stateTensors);
  try {
    for (let t = 0; t < maxLen && live.length > 0; t++) {
      const n = live.length;
      const prev = t === 0 ? null : Int32Array.from(live, (h) => h.ids[h.ids.length - 1]);
      const r = scoped(
        () => {
          const idx = tf.zeros([n], 'int32') as tf.Tensor1D;
          const enc = {
            memory: tf.gather(enc1.memory, idx) as tf.Tensor3D,
            bias: tf.gather(enc1.bias, idx) as tf.Tensor3D,
            bridge: tf.gather(enc1.bridge, idx) as tf.Tensor2D,
          };
          return model.step(enc, prev, states);
        },
        (s) => [s.logp, s.weights, ...stateTensors(s.states)],
      );
      disposeStates(states);
      states = r.states;
      const V = r.logp.shape[1];
      const [logp, weights] = await Promise.all([readValues(r.logp), readRows(r.weights)]).finally(() =>
        tf.dispose([r.logp, r.weights]),
      );
      const cands = candidates(live, logp as Float32Array, V, K, target, o.blockNgram);
      const next: Hyp[] = [];
      const from: number[] = [];
      for (const c of cands) {
        if (next.length >= K) break;
        const h = live[c.from];
        const hyp = { ids: [...h.ids, c.tok], attn: [...h.attn, weights[c.from]], score: c.score };
        if (c.tok === target.eos || t === maxLen - 1) {
          finished.push({ ...hyp, norm: lengthNorm(c.score, hyp.ids.length, o.lengthPenalty) });
          if (finished.length >= K) break;
        } else {
          next.push(hyp);
          from.push(c.from);
        }
      }
      if (finished.length >= K) break;
      const best = finished.length ? Math.max(...finished.map((f) => f.norm)) : -Infinity;
      // A live hypothesis's score only falls as it grows; with normalisation it may still win,
      // so the search stops early only without it.
      live = o.lengthPenalty > 0 || !(best >= Math.max(...next.map((h) => h.score))) ? next : [];
      if (live.length) {
        const picked = pickRows(states, from);
        disposeStates(states);
        states = picked;
      }
    }
  } finally {
    disposeStates(states);
    tf.dispose([enc1.memory, enc1.bias, enc1.bridge]);
  }
  const pool = finished.length
    ? finished
    : live.map((h) => ({ ...h, norm: lengthNorm(h.score, h.ids.length, o.lengthPenalty) }));
  pool.sort((a, b) => b.norm - a.norm);
  const top = pool[0];
  const ids = top.ids[top.ids.length - 1] === target.eos ? top.ids.slice(0, -1) : top.ids;
  return { ids, attention: top.attn.slice(0, Math.max(1, top.ids.length)), score: top.norm };
}

/**
 * The output pieces an attention map's rows belong to: the decoded ids, and the end token only
 * when the decoder emitted it (an output cut at the maximum length has no row for it).
 */
export function attendedPieces(target: SideVocab, d: Decoded): string[] {
  return target.pieces(d.attention.length > d.ids.length ? [...d.ids, target.eos] : d.ids);
}

/**
 * Greedy decoding of many sources at once (a batch per call): each row takes its most likely
 * token until it emits the end token. Used for the evaluations' BLEU when the beam is 1.
 */
export async function greedyBatch(
  model: Seq2seqModel,
  source: SideVocab,
  target: SideVocab,
  pairs: EncodedPair[],
  maxLenRatio: number,
): Promise<number[][]> {
  const batch = makeBatch(pairs, source, target);
  const { B, S } = batch;
  const limit = Array.from(batch.srcLen, (l) => Math.ceil(maxLenRatio * l) + 5);
  const maxLen = Math.max(...limit);
  const enc = scoped(
    () => model.encode(batch.src, batch.srcLen, S, B, { training: false }),
    (e) => [e.memory, e.bias, e.bridge],
  );
  const out: number[][] = pairs.map(() => []);
  const done = new Array<boolean>(B).fill(false);
  let states = scoped(() => model.initialStates(enc), stateTensors);
  let prev: Int32Array | null = null;
  try {
    for (let t = 0; t < maxLen && done.some((d) => !d); t++) {
      const r = scoped(
        () => {
          const s = model.step(enc, prev, states);
          const banned = new Float32Array(target.size);
          banned[target.pad] = banned[target.bos] = -1e9;
          return { best: tf.argMax(tf.add(s.logp, tf.tensor1d(banned)), 1), states: s.states };
        },
        (s) => [s.best, ...stateTensors(s.states)],
      );
      disposeStates(states);
      states = r.states;
      const best = (await readValues(r.best).finally(() => r.best.dispose())) as Int32Array;
      prev = Int32Array.from(best);
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        if (best[b] === target.eos) done[b] = true;
        else out[b].push(best[b]);
        if (out[b].length >= limit[b]) done[b] = true;
      }
    }
  } finally {
    disposeStates(states);
    tf.dispose([enc.memory, enc.bias, enc.bridge]);
  }
  return out;
}
