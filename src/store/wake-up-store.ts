import type { Redis } from 'ioredis'

/**
 * When each user's pending wake-up is due (epoch ms), one marker per user. The marker says
 * which wake-up job is current: a job whose time is no longer the marker's was superseded and
 * skips (docs/architecture.md, "Wake-ups").
 */
export interface WakeUpStore {
  get(mmUserId: string): Promise<number | null>
  /** The markers of many users in one round trip, in the order asked. */
  getMany(mmUserIds: string[]): Promise<Array<number | null>>
  /** Kept `ttlMs` at most: a marker outlives its job by far, never for ever. */
  set(mmUserId: string, at: number, ttlMs: number): Promise<void>
  delete(mmUserId: string): Promise<void>
}

export function createWakeUpStore(redis: Redis, prefix: string): WakeUpStore {
  const key = (mmUserId: string): string => `${prefix}:wake-at:${mmUserId}`
  const toTime = (value: string | null): number | null => (value === null ? null : Number(value))
  return {
    async get(mmUserId) {
      return toTime(await redis.get(key(mmUserId)))
    },
    async getMany(mmUserIds) {
      if (mmUserIds.length === 0) return []
      const pipe = redis.pipeline()
      for (const id of mmUserIds) pipe.get(key(id))
      const results = (await pipe.exec()) ?? []
      return mmUserIds.map((_, i) => {
        const [err, value] = results[i] ?? [null, null]
        if (err) throw err
        return toTime(value as string | null)
      })
    },
    async set(mmUserId, at, ttlMs) {
      await redis.set(key(mmUserId), String(at), 'PX', ttlMs)
    },
    async delete(mmUserId) {
      await redis.del(key(mmUserId))
    }
  }
}
