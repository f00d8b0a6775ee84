import type { Redis } from 'ioredis'
import { redisScripts } from './redis-scripts'

/**
 * When each user's pending wake-up is due (epoch ms), one marker per user, and the cohorts: the
 * users whose wake-up falls on the same instant, woken together (docs/architecture.md,
 * "Wake-ups"). The marker says which wake-up is current: a run for another time skips the user.
 */
export interface WakeUpStore {
  get(mmUserId: string): Promise<number | null>
  /** The markers of many users in one round trip, in the order asked. */
  getMany(mmUserIds: string[]): Promise<Array<number | null>>
  /**
   * Mark the user's wake-up at `at` and put them in the cohort of `at`, out of the one of
   * `previous`; false when that cohort's on-time run has taken its members already (closed).
   * Keys live `ttlMs`: they outlive the instant by far, never for ever.
   */
  join(mmUserId: string, at: number, previous: number | null, ttlMs: number): Promise<boolean>
  /** Forget the user's wake-up (no marker, out of the cohort of `previous`). */
  leave(mmUserId: string, previous: number | null): Promise<void>
  /** The members of the cohort of `at` whose marker is still `at`. */
  cohort(at: number): Promise<string[]>
  /** The same, closing the cohort first: later joins are refused. */
  closeCohort(at: number, ttlMs: number): Promise<string[]>
}

export function createWakeUpStore(redis: Redis, prefix: string): WakeUpStore {
  const scripts = redisScripts(redis)
  const marker = (mmUserId: string): string => `${prefix}:wake-at:${mmUserId}`
  const cohortKey = (at: number): string => `${prefix}:cohort:${at}`
  const closedKey = (at: number): string => `${prefix}:cohort-closed:${at}`
  const toTime = (value: string | null): number | null => (value === null ? null : Number(value))

  const getMany = async (mmUserIds: string[]): Promise<Array<number | null>> => {
    if (mmUserIds.length === 0) return []
    const values = await redis.mget(mmUserIds.map(marker))
    return values.map(toTime)
  }
  /** Members whose marker moved on since they joined are left out (their new cohort has them). */
  const stillAt = async (at: number, members: string[]): Promise<string[]> => {
    const markers = await getMany(members)
    return members.filter((_, i) => markers[i] === at)
  }
  return {
    async get(mmUserId) {
      return toTime(await redis.get(marker(mmUserId)))
    },
    getMany,
    async join(mmUserId, at, previous, ttlMs) {
      const leaving = previous === null ? cohortKey(at) : cohortKey(previous)
      const joined = await scripts.run(
        'joinCohort',
        [marker(mmUserId), cohortKey(at), closedKey(at), leaving],
        [String(at), mmUserId, String(Math.ceil(ttlMs))]
      )
      return Number(joined) === 1
    },
    async leave(mmUserId, previous) {
      const tx = redis.multi().del(marker(mmUserId))
      if (previous !== null) tx.srem(cohortKey(previous), mmUserId)
      await tx.exec()
    },
    async cohort(at) {
      return stillAt(at, await redis.smembers(cohortKey(at)))
    },
    async closeCohort(at, ttlMs) {
      const members = (await scripts.run('closeCohort', [cohortKey(at), closedKey(at)], [String(Math.ceil(ttlMs))])) as string[]
      return stillAt(at, members)
    }
  }
}
