/**
 * CPU and memory of the training process, sampled every few seconds as `system` events. CPU is the
 * process's user+system time over wall time (all its threads, so wasm threads can take it above
 * 100%); memory is the resident set.
 */
export class SystemSampler {
  private lastCpu = process.cpuUsage();
  private lastAt = Date.now();

  constructor(private readonly everyMs = 5000) {}

  /** A sample when `everyMs` has passed since the last one, else undefined. */
  maybe(now = Date.now()): { cpuPercent: number; rssMB: number } | undefined {
    if (now - this.lastAt < this.everyMs) return undefined;
    const cpu = process.cpuUsage(this.lastCpu);
    const wallUs = (now - this.lastAt) * 1000;
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    return {
      cpuPercent: Math.round(((cpu.user + cpu.system) / wallUs) * 1000) / 10,
      rssMB: Math.round(process.memoryUsage.rss() / 1e5) / 10,
    };
  }
}
