import type { TrainEvent } from '../events';
import type { TrainConfig } from '../config';

/** Parent → child: train this run (fresh, or continuing its run folder), or stop after a checkpoint. */
export type ToChild =
  | {
      type: 'train';
      folder: string;
      out?: string;
      runId: string;
      group: string;
      config: TrainConfig;
      /** Continue this run folder from its newest checkpoint. */
      resume?: string;
    }
  | { type: 'stop' };

/** Child → parent: the run's events (steps thinned to a few a second), then how it ended. */
export type FromChild =
  | { type: 'event'; event: TrainEvent }
  | { type: 'result'; reason: string; step: number }
  | { type: 'failed'; message: string; code?: string };
