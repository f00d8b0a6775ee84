import type { Redis } from 'ioredis'

/**
 * Notify mode `daily` (docs/status-rules.md#notify): one message per person per local day. The
 * rule engine offers the day's plan at each stretch it enters; the first offer of a day wins.
 */
export interface DailyNoticeStore {
  /** true once per person and day (the engine's local day number): the caller sends the message. */
  claim(mmUserId: string, day: number): Promise<boolean>
  /** The message could not be sent: the next offer of that day may try again. */
  unclaim(mmUserId: string, day: number): Promise<void>
}

/** Two days: a day number is local to the person, so "today" may still run for a day in UTC terms. */
const KEEP_SECONDS = 2 * 24 * 3600

export function createDailyNoticeStore(redis: Redis, prefix: string): DailyNoticeStore {
  const key = (id: string, day: number): string => `${prefix}:daily-notice:${id}:${day}`
  return {
    async claim(mmUserId, day) {
      return (await redis.set(key(mmUserId, day), '1', 'EX', KEEP_SECONDS, 'NX')) === 'OK'
    },
    async unclaim(mmUserId, day) {
      await redis.del(key(mmUserId, day))
    }
  }
}
