import type { Redis } from 'ioredis'

/** One save of the defaults for everyone: who, when, and each setting that changed. */
export interface DefaultsChange {
  by: string
  at: number
  changes: Array<{ setting: string; from: string; to: string }>
}

/** The last saves of the admin's defaults, newest first (docs/architecture.md#redis-keys). */
export interface DefaultsAuditStore {
  add(change: DefaultsChange): Promise<void>
  recent(limit: number): Promise<DefaultsChange[]>
}

/** Enough history to answer "who changed this, when" for a year of ordinary use. */
const KEEP = 200

export function createDefaultsAuditStore(redis: Redis, prefix: string): DefaultsAuditStore {
  const key = `${prefix}:settings:defaults-audit`
  return {
    async add(change) {
      await redis
        .multi()
        .lpush(key, JSON.stringify(change))
        .ltrim(key, 0, KEEP - 1)
        .exec()
    },
    async recent(limit) {
      const raw = await redis.lrange(key, 0, Math.max(0, Math.min(limit, KEEP) - 1))
      return raw.flatMap((r) => {
        try {
          return [JSON.parse(r) as DefaultsChange]
        } catch {
          return []
        }
      })
    }
  }
}
