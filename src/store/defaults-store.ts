import type { Redis } from 'ioredis'

/**
 * The settings an admin chose for everyone (each person may override them): one JSON value.
 * Read on every sync, so a change applies at the next evaluation of each user. The shape is
 * the rule engine's settings overrides; the engine ignores what it does not understand.
 */
export interface DefaultsStore<S> {
  /** The admin's defaults, or null when none were chosen (or the stored value is unreadable). */
  get(): Promise<S | null>
  set(defaults: S | null): Promise<void>
}

export function createDefaultsStore<S>(redis: Redis, prefix: string): DefaultsStore<S> {
  const key = `${prefix}:settings:defaults`
  return {
    async get() {
      const raw = await redis.get(key)
      if (raw === null) return null
      try {
        return JSON.parse(raw) as S
      } catch {
        return null
      }
    },
    async set(defaults) {
      if (defaults === null) await redis.del(key)
      else await redis.set(key, JSON.stringify(defaults))
    }
  }
}
