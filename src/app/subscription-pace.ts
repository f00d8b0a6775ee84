/**
 * The steady rate at which subscriptions are created (docs/graph.md#creating-subscriptions-at-scale):
 * one start every 1/rate seconds. A throttled creation (429) stops every start until its
 * Retry-After has passed and halves the rate; each creation that goes through then wins a little
 * of it back, up to the configured rate. So a limit lower than ours (another app of the tenant
 * uses the budget, or the older, lower published figure holds) costs speed, not people.
 */
export interface Pace {
  /** Resolves when the next creation may start. */
  turn(): Promise<void>
  /** Graph said 429 (or 503): wait `retryAfterSeconds` (or a few seconds), and slow down. */
  throttled(retryAfterSeconds: number | undefined): void
  succeeded(): void
  /** Creations per second now. */
  rate(): number
}

/** Without a Retry-After, this long; Graph's own advice is to back off, never to retry at once. */
const DEFAULT_PAUSE_MS = 5000
/** Successes to win back the whole configured rate after a halving: gradual, not a step. */
const RECOVERY_SUCCESSES = 200

export function createPace(opts: { perSecond: number; now?: () => number; sleep?: (ms: number) => Promise<void> }): Pace {
  const now = opts.now ?? Date.now
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const max = opts.perSecond
  const min = Math.min(1, max)
  let rate = max
  let next = 0
  let pausedUntil = 0
  return {
    async turn() {
      // Claimed before sleeping: concurrent callers get successive slots.
      for (;;) {
        const at = Math.max(next, pausedUntil, now())
        next = at + 1000 / rate
        const wait = at - now()
        if (wait > 0) await sleep(wait)
        // A throttle that came in while this caller slept moves the pause past its slot.
        if (pausedUntil <= at) return
      }
    },
    throttled(retryAfterSeconds) {
      pausedUntil = Math.max(pausedUntil, now() + (retryAfterSeconds !== undefined ? retryAfterSeconds * 1000 : DEFAULT_PAUSE_MS))
      rate = Math.max(min, rate / 2)
      next = pausedUntil
    },
    succeeded() {
      rate = Math.min(max, rate + max / RECOVERY_SUCCESSES)
    },
    rate: () => rate
  }
}
