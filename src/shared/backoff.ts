/**
 * Exponential backoff with "equal jitter": at least half the ceiling, so retries spread out
 * but never bunch at zero. Used where a service gives no Retry-After of its own.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return ceiling / 2 + Math.random() * (ceiling / 2)
}
