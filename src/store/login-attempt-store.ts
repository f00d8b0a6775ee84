import type { Redis } from 'ioredis'

/**
 * Failed admin logins per client address, in Redis so every web process shares one count
 * (docs/architecture.md#http-surface). A window opens at a client's first failure and lasts
 * `windowMs`; once it holds `maxFailures`, every login of that client is refused until the
 * window ends, a right one too. Hammering on does not extend the window.
 */
export interface LoginAttemptStore {
  /**
   * Count this attempt (when `failed`) and say whether the client is locked out: 0, or the
   * seconds until the window ends. One round trip, atomic, so concurrent guesses cannot slip
   * past the count.
   */
  attempt(client: string, failed: boolean): Promise<{ lockedForSeconds: number }>
}

export function createLoginAttemptStore(redis: Redis, prefix: string, limits: { maxFailures: number; windowMs: number }): LoginAttemptStore {
  const lockedFor = (count: number, pttl: number, limit: number): number => (count >= limit && pttl > 0 ? Math.ceil(pttl / 1000) : 0)
  return {
    async attempt(client, failed) {
      const key = `${prefix}:admin-login-failures:${client}`
      if (failed) {
        const [, count, pttl] = results(await redis.multi().set(key, '0', 'PX', limits.windowMs, 'NX').incr(key).pttl(key).exec(), 3)
        // This failure is one of the `maxFailures` allowed, or past them.
        return { lockedForSeconds: lockedFor(Number(count), Number(pttl), limits.maxFailures + 1) }
      }
      const [count, pttl] = results(await redis.multi().get(key).pttl(key).exec(), 2)
      return { lockedForSeconds: lockedFor(Number(count ?? 0), Number(pttl), limits.maxFailures) }
    }
  }
}

/** A MULTI's results, or the first error in them. */
function results(replies: Array<[Error | null, unknown]> | null, expected: number): unknown[] {
  if (!replies || replies.length !== expected) throw new Error('the transaction was aborted')
  return replies.map(([err, result]) => {
    if (err) throw err
    return result
  })
}
