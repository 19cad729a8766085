/** Polls `fn` until it returns something truthy (then returns it), or fails after `timeoutMs`. */
export async function until<T>(
  what: string,
  fn: () => T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
