import * as tf from '@tensorflow/tfjs';
import type { OptimizerKind, ScheduleKind } from './config';
import { cellKernel } from './wasm/cellKernel';

export interface OptimizerOptions {
  kind: OptimizerKind;
  momentum: number;
  /** Decoupled weight decay (AdamW-style), applied to kernels only, never to biases. */
  weightDecay: number;
  /** Per-parameter learning-rate multipliers (default 1). */
  lrScale?: Record<string, number>;
}

/**
 * Adam, SGD with momentum and RMSprop written out in TF.js ops, with PyTorch's conventions
 * (Adam ε = 1e-8 outside the square root, bias-corrected; RMSprop α = 0.99), so that runs can
 * be compared with a PyTorch script. The state is plain named tensors, which the checkpoint
 * saves and restores exactly.
 */
export class Optimizer {
  step = 0;
  readonly slots = new Map<string, tf.Variable>();
  /**
   * Steps each parameter has taken (PyTorch's per-parameter `state['step']`). Adam's bias
   * correction must count a parameter's own updates: one that starts training late (gradual
   * unfreezing) has fresh moments, and corrected with the global count its first steps would be
   * a fraction of lr (about lr/2 when it joins at step 11).
   */
  readonly paramSteps = new Map<string, number>();

  constructor(readonly opts: OptimizerOptions) {}

  private paramStep(name: string): number {
    // Slots restored from a checkpoint written before per-parameter counts took every step.
    const restored = ['m', 'sq', 'momentum'].some((k) => this.slots.has(`${name}/${k}`));
    const t = (this.paramSteps.get(name) ?? (restored ? this.step - 1 : 0)) + 1;
    this.paramSteps.set(name, t);
    return t;
  }

  private slot(name: string, like: tf.Tensor): tf.Variable {
    let v = this.slots.get(name);
    if (!v) {
      v = tf.variable(tf.zerosLike(like), false);
      this.slots.set(name, v);
    }
    return v;
  }

  apply(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, lr0: number): void {
    this.step++;
    const { kind, momentum, weightDecay } = this.opts;
    tf.tidy(() => {
      for (const [name, g] of grads) {
        const p = params.get(name)!;
        const t = this.paramStep(name);
        const lr = lr0 * (this.opts.lrScale?.[name] ?? 1);
        let update: tf.Tensor;
        if (kind === 'adam') {
          const b1 = 0.9;
          const b2 = 0.999;
          const m = this.slot(`${name}/m`, p);
          const v = this.slot(`${name}/v`, p);
          const k = cellKernel();
          if (k) {
            // The same f32 operations in one pass instead of about a dozen TF.js ops (tested
            // to give the same bits).
            const [pn, mn, vn] = [0, 1, 2].map(() => k.alloc(p.shape));
            k.fn.adam(
              ...[p, g, m, v, pn, mn, vn].map((x) => k.ptr(x)),
              p.size,
              b1,
              1 - b1,
              b2,
              1 - b2,
              Math.sqrt(1 - Math.pow(b2, t)),
              lr / (1 - Math.pow(b1, t)),
              1e-8,
              weightDecay > 0 && !name.endsWith('/bias') ? lr * weightDecay : 0,
            );
            m.assign(mn);
            v.assign(vn);
            p.assign(pn);
            continue;
          }
          m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
          v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
          const stepSize = lr / (1 - Math.pow(b1, t));
          const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - Math.pow(b2, t))), 1e-8);
          update = tf.mul(tf.div(m, denom), stepSize);
        } else if (kind === 'rmsprop') {
          const sq = this.slot(`${name}/sq`, p);
          sq.assign(tf.add(tf.mul(sq, 0.99), tf.mul(tf.square(g), 0.01)));
          update = tf.mul(tf.div(g, tf.add(tf.sqrt(sq), 1e-8)), lr);
        } else if (momentum > 0) {
          const buf = this.slot(`${name}/momentum`, p);
          buf.assign(t === 1 ? g : tf.add(tf.mul(buf, momentum), g));
          update = tf.mul(buf, lr);
        } else {
          update = tf.mul(g, lr);
        }
        let next = tf.sub(p, update);
        if (weightDecay > 0 && !name.endsWith('/bias')) next = tf.sub(next, tf.mul(p, lr * weightDecay));
        p.assign(next);
      }
    });
  }

  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
    this.paramSteps.clear();
  }
}

export interface ScheduleOptions {
  kind: ScheduleKind;
  lr: number;
  warmupSteps: number;
  /** Total steps, for cosine (0: no step budget). */
  totalSteps: number;
  /**
   * Seconds of training, for cosine (0 or absent: no time budget). With both budgets the rate
   * follows whichever is further along, so it has decayed when either one ends; with neither it
   * holds at lr after warmup.
   */
  totalSeconds?: number;
  decaySteps: number;
  decayRate: number;
}

/** Learning rate for 1-based step `step`, `elapsedSeconds` into training. */
export function learningRate(s: ScheduleOptions, step: number, elapsedSeconds = 0): number {
  if (s.warmupSteps > 0 && step <= s.warmupSteps) return (s.lr * step) / s.warmupSteps;
  switch (s.kind) {
    case 'constant':
      return s.lr;
    case 'step':
      return s.lr * Math.pow(s.decayRate, Math.floor(step / Math.max(1, s.decaySteps)));
    case 'cosine': {
      const bySteps =
        s.totalSteps > s.warmupSteps ? (step - s.warmupSteps) / (s.totalSteps - s.warmupSteps) : 0;
      const byTime = s.totalSeconds ? elapsedSeconds / s.totalSeconds : 0;
      if (s.totalSteps <= s.warmupSteps && !s.totalSeconds) return s.lr;
      const p = Math.min(1, Math.max(bySteps, byTime));
      return s.lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p)));
    }
  }
}

/**
 * sum(t²) for each tensor (the gradients' squared norms, for clipping and the per-layer norms):
 * on the wasm backend one kernel pass each, read directly from the heap, instead of a Square and
 * a Sum op per tensor and a stacked read.
 */
export function squaredNorms(ts: tf.Tensor[]): number[] {
  const k = cellKernel();
  if (k) return ts.map((t) => k.fn.sum_squares(k.ptr(t), t.size));
  return Array.from(tf.tidy(() => tf.stack(ts.map((t) => tf.sum(tf.square(t)))).dataSync()));
}
