/** Exponential backoff with full jitter: a pure function of the attempt number. */
export function backoffDelayMs (attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt))
  return Math.round(ceiling / 2 + random() * ceiling / 2)
}
