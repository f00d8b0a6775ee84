import type { Redis } from 'ioredis'

/**
 * A cluster-wide ceiling on calls per second, shared by every worker through Redis.
 * Each call reserves the next free slot (slots are 1/rate apart) atomically in Redis and
 * waits for it, so the whole cluster never goes over `perSecond`, and calls leave in the
 * order they asked: when 5,000 meetings start at 10:00, the writes queue instead of turning
 * into a storm of 429s (Mattermost's own limit, when on, is per remote address).
 * Redis's own clock is the reference, so workers on different hosts agree.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local nextFree = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(nextFree, now)
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', math.ceil((slot + interval - now) / 1000) + 1000)
return tostring(slot - now)
`

export interface RateCeiling {
  /** Resolves when this call may go; the value is how long it waited, in ms. */
  acquire(): Promise<number>
}

export function createRateCeiling(redis: Redis, opts: { key: string; perSecond: number }): RateCeiling {
  // Slots are spaced for 90% of the ceiling: timers that fire late and connection set-up make
  // calls bunch on their way to the server, and the ceiling is what the server sees. Measured
  // at the Mattermost simulator with two processes at 20/s: up to 26 calls in a 1 s window
  // with exact spacing, at most 20 with this margin (test/mattermost/mattermost-adapter.test.ts).
  const intervalMicros = Math.floor(1_000_000 / (opts.perSecond * 0.9))
  return {
    async acquire() {
      const waitMicros = Number(await redis.eval(RESERVE, 1, opts.key, String(intervalMicros)))
      const waitMs = waitMicros / 1000
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs))
      return waitMs
    }
  }
}
