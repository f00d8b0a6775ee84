import type { Redis } from 'ioredis'
import { redisScripts } from '../store/redis-scripts'

/** What one Mattermost answer said about the server's rate limit (docs/mattermost.md#rate-limiting). */
export interface RateLimitAnswer {
  /** true for a 429 */
  throttled: boolean
  /** X-Ratelimit-Limit: the server's burst + 1 */
  limit?: number
  /** X-Ratelimit-Remaining: calls the server would take at once right now */
  remaining?: number
  /** X-Ratelimit-Reset: seconds until the server's bucket is full again */
  resetSeconds?: number
  /** Retry-After, seconds (429s) */
  retryAfterSeconds?: number
}

/**
 * A cluster-wide, adaptive ceiling on calls per second to Mattermost, shared by every worker and
 * the web process through one Redis hash (docs/mattermost.md#rate-limiting, "How the ceiling
 * adapts"):
 * - Never faster than the configured ceiling (slots 1/(0.9 × ceiling) apart: timers that fire late
 *   and connection set-up make calls bunch on their way, and the ceiling is what the server sees).
 * - When the server limits (X-Ratelimit-* headers), calls use the burst it grants (its Remaining,
 *   less a small reserve), then go at the learned rate `r`. A 429, or Remaining running low, cuts
 *   `r` at once (to a lower bound of the server's rate read from the headers, or by half for a
 *   429) and voids every slot booked at the old pace; comfortable answers, or answers without
 *   headers, raise it again additively, up to the ceiling.
 * - Calls leave in the order they asked; Redis's own clock is the reference, so workers on
 *   different hosts agree (src/store/lua/ceiling-*.lua).
 */
export interface RateCeiling {
  /**
   * Resolves when this call may go, with how long it waited (and a ticket for `observe`). With
   * `maxWaitMs`, at once and with no slot taken when the call would have to wait longer than
   * that, with how long.
   */
  acquire(maxWaitMs?: number): Promise<{ waitedMs: number; ticket?: number } | { busyForMs: number }>
  /** Learn from the answer to a call that went with `ticket`. */
  observe(answer: RateLimitAnswer, ticket?: number): Promise<void>
  /**
   * The rate calls go at now (learned, at most 90% of the configured ceiling: the spacing) and how
   * many could go right now without waiting for the server's limit (its Remaining less the
   * reserve when it limits, else 0 or 1). Read-only.
   */
  allowance(): Promise<{ perSecond: number; burst: number }>
}

export interface RateCeilingOptions {
  /** the Redis hash holding the cluster's state */
  key: string
  /** the configured ceiling, calls/s (MM_MAX_REQUESTS_PER_SECOND) */
  perSecond: number
  /** told the learned rate whenever a script returns it (the allowed-rate gauge) */
  onRate?: (perSecond: number) => void
}

/** The learned state lives this long after the last call (ms): long enough to span quiet minutes. */
const STATE_TTL_MS = 600_000

const arg = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-1' : String(n))
/** How often a process with sleeping calls asks Redis whether the ceiling re-planned (ms). */
const EPOCH_POLL_MS = 250

interface Sleeper {
  epoch: string
  wake: () => void
}

export function createRateCeiling(redis: Redis, opts: RateCeilingOptions): RateCeiling {
  const scripts = redisScripts(redis)
  const max = String(opts.perSecond)
  // What this process last heard: while nothing limits, an answer without headers teaches nothing.
  let learned = { rate: opts.perSecond, limit: 0, seen: false }
  // The plan's epoch as last heard (one connection answers in order, so the latest answer is the
  // newest state). A new epoch voids every booked slot: sleeping calls wake and book again.
  let epoch = '0'
  const sleepers = new Set<Sleeper>()
  let poll: NodeJS.Timeout | null = null

  const heardEpoch = (e: string | undefined): void => {
    if (e === undefined || e === epoch) return
    epoch = e
    // In the order they booked, so they book again in that order.
    for (const s of sleepers) if (s.epoch !== e) s.wake()
  }
  const heard = (rate: string | undefined, limit: string | undefined, e: string | undefined, seen: boolean): void => {
    learned = { rate: Number(rate ?? opts.perSecond), limit: Number(limit ?? 0), seen }
    opts.onRate?.(Math.min(learned.rate, opts.perSecond * 0.9))
    heardEpoch(e)
  }
  opts.onRate?.(opts.perSecond * 0.9)

  // Another process may re-plan while every call here sleeps: ask Redis now and then.
  const startPolling = (): void => {
    if (poll) return
    poll = setInterval(() => {
      if (sleepers.size === 0) {
        if (poll) clearInterval(poll)
        poll = null
        return
      }
      redis.hget(opts.key, 'epoch').then(
        (e) => heardEpoch(e ?? undefined),
        () => undefined
      )
    }, EPOCH_POLL_MS)
    poll.unref()
  }

  /** Sleeps until the slot, or until the plan changes: true when the slot came. */
  const sleepFor = (ms: number, bookedIn: string): Promise<boolean> =>
    new Promise((resolve) => {
      // A re-plan heard between the booking's answer and now: the slot is void already.
      if (bookedIn !== epoch) {
        resolve(false)
        return
      }
      const sleeper: Sleeper = {
        epoch: bookedIn,
        wake: () => {
          clearTimeout(timer)
          sleepers.delete(sleeper)
          resolve(false)
        }
      }
      const timer = setTimeout(() => {
        sleepers.delete(sleeper)
        resolve(true)
      }, ms)
      sleepers.add(sleeper)
      startPolling()
    })

  /** Books a slot, or takes the one booked in epoch `booked` when it is still valid. */
  async function reserve(maxWaitMicros: number, booked: string): Promise<{ wait: number; ticket: number; epoch: string }> {
    const [wait, ticket, e, rate, limit, seen] = (await scripts.run(
      'ceilingReserve',
      [opts.key],
      [max, String(maxWaitMicros), String(STATE_TTL_MS), booked]
    )) as string[]
    heard(rate, limit, e, seen === '1')
    return { wait: Number(wait), ticket: Number(ticket), epoch: e ?? '0' }
  }

  return {
    async acquire(maxWaitMs) {
      const started = Date.now()
      let booked = ''
      for (;;) {
        const waitedMs = Date.now() - started
        const limit = maxWaitMs === undefined ? -1 : Math.max(0, Math.floor((maxWaitMs - waitedMs) * 1000))
        const slot = await reserve(limit, booked)
        if (slot.wait < 0) return { busyForMs: -slot.wait / 1000 }
        if (slot.wait === 0) return { waitedMs, ticket: slot.ticket }
        // Woken when the slot is due (then take it), or by a re-plan (then book again).
        booked = (await sleepFor(slot.wait / 1000, slot.epoch)) ? slot.epoch : ''
      }
    },

    async observe(answer, ticket) {
      const headers = answer.limit !== undefined && answer.remaining !== undefined && answer.limit >= 1 && answer.remaining >= 0
      if (!answer.throttled && !headers && learned.seen && learned.limit === 0 && learned.rate >= opts.perSecond) return
      const kind = answer.throttled ? '429' : headers ? 'headers' : 'none'
      const [rate, limit, e] = (await scripts.run(
        'ceilingObserve',
        [opts.key],
        [
          max,
          String(ticket ?? 0),
          kind,
          arg(headers ? Math.floor(answer.limit as number) : undefined),
          arg(headers ? Math.floor(answer.remaining as number) : undefined),
          arg(answer.resetSeconds),
          arg(answer.retryAfterSeconds),
          String(STATE_TTL_MS)
        ]
      )) as string[]
      heard(rate, limit, e, true)
    },

    async allowance() {
      const [perSecond, burst] = (await scripts.run('ceilingAllowance', [opts.key], [max])) as string[]
      return { perSecond: Number(perSecond), burst: Number(burst) }
    }
  }
}
