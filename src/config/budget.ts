/** "500" is steps; "90s", "5m" or "1h" is a time budget. */
export function parseBudget(s: string): { steps: number; timeSeconds: number } | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/i.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (!m[2]) return Number.isInteger(n) && n > 0 ? { steps: n, timeSeconds: 0 } : undefined;
  const seconds = n * { s: 1, m: 60, h: 3600 }[m[2].toLowerCase() as 's' | 'm' | 'h'];
  return seconds > 0 ? { steps: 0, timeSeconds: seconds } : undefined;
}
