import type { TrainEvent, TrainEventListener } from '../events';
import { appendMetric } from './metricsFile';
import { runPaths } from './layout';
import type { RunStatus } from './schema';
import { updateStatus } from './status';

/**
 * A running run's output: each event goes to metrics.jsonl (once the run folder exists) and to the
 * listener; status updates go to status.json. Before `attach` only the listener hears.
 */
export class RunRecorder {
  private runDir: string | undefined;

  constructor(private readonly listener?: TrainEventListener) {}

  attach(runDir: string): void {
    this.runDir = runDir;
  }

  get dir(): string | undefined {
    return this.runDir;
  }

  emit(e: TrainEvent): void {
    if (this.runDir) appendMetric(runPaths(this.runDir).metrics, e);
    this.listener?.(e);
  }

  status(s: Partial<RunStatus>): void {
    if (this.runDir) updateStatus(this.runDir, s);
  }

  /** Records a failure in status.json and metrics.jsonl; never throws (the disk may be what failed). */
  fail(message: string, code: string | undefined): void {
    const e: TrainEvent = { type: 'error', time: Date.now(), message, code };
    if (!this.runDir) {
      this.listener?.(e);
      return;
    }
    try {
      this.status({ status: 'failed', error: message });
      this.emit(e);
    } catch {
      // The caller still gets the original error.
    }
  }
}
