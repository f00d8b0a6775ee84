import type { Redis } from 'ioredis'
import { redisScripts } from '../store/redis-scripts'

/**
 * A cluster-wide ceiling on calls per second, shared by every worker through Redis.
 * Each call reserves the next free slot (slots are 1/rate apart) atomically in Redis and
 * waits for it, so the whole cluster never goes over `perSecond`, and calls leave in the
 * order they asked: when 5,000 meetings start at 10:00, the writes queue instead of turning
 * into a storm of 429s (Mattermost's own limit, when on, is per remote address).
 * Redis's own clock is the reference, so workers on different hosts agree
 * (src/store/lua/reserve-slot.lua).
 */
export interface RateCeiling {
  /**
   * Resolves when this call may go, with how long it waited. With `maxWaitMs`, at once and with
   * no slot taken when the next free slot is further away than that, with how far it is.
   */
  acquire(maxWaitMs?: number): Promise<{ waitedMs: number } | { busyForMs: number }>
}

export function createRateCeiling(redis: Redis, opts: { key: string; perSecond: number }): RateCeiling {
  // Slots are spaced for 90% of the ceiling: timers that fire late and connection set-up make
  // calls bunch on their way to the server, and the ceiling is what the server sees (README,
  // "A ceiling for the whole cluster", has what was seen at the server without the margin).
  const intervalMicros = Math.floor(1_000_000 / (opts.perSecond * 0.9))
  const scripts = redisScripts(redis)
  return {
    async acquire(maxWaitMs) {
      const limit = maxWaitMs === undefined ? '-1' : String(Math.floor(maxWaitMs * 1000))
      const waitMicros = Number(await scripts.run('reserveSlot', [opts.key], [String(intervalMicros), limit]))
      if (waitMicros < 0) return { busyForMs: -waitMicros / 1000 }
      const waitMs = waitMicros / 1000
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs))
      return { waitedMs: waitMs }
    }
  }
}
