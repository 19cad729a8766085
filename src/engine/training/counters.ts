import type { CheckpointManifest } from '../checkpoint';

/** Where the loop stands: restored from a checkpoint's manifest on resume. */
export interface LoopCounters {
  step: number;
  epoch: number;
  /** Next batch index within the epoch (`trainer.window` in the manifest). */
  window: number;
  tokensSeen: number;
  bestVal: number | null;
  /** Seconds trained in earlier sessions of this run. */
  elapsedBefore: number;
}

export function freshCounters(): LoopCounters {
  return { step: 0, epoch: 0, window: 0, tokensSeen: 0, bestVal: null, elapsedBefore: 0 };
}

export function countersFromManifest(m: CheckpointManifest): LoopCounters {
  return {
    step: m.step,
    epoch: m.trainer.epoch,
    window: m.trainer.window,
    tokensSeen: m.tokensSeen,
    bestVal: m.trainer.bestValLoss,
    elapsedBefore: m.trainer.elapsedSeconds,
  };
}
