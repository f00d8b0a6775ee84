import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'

/**
 * One pending wake-up per user, at the rule engine's `nextWakeAt`, so statuses change at the
 * minute a meeting starts or ends rather than at the next sweep. The job id carries the time
 * (`wake-up-<user>-<at>`): a running wake-up cannot remove itself, so moving the time adds a new
 * job and the old one, when it fires, sees it is no longer the pending one and skips.
 */
export interface WakeUps {
  schedule(mmUserId: string, at: number | null): Promise<void>
  /** Of these, the users whose pending wake-up is not at `at`: one round trip for a shard. */
  moved<E extends { mmUserId: string; at: number | null }>(entries: E[]): Promise<E[]>
  /** Whether a wake-up for `at` is still the user's pending one. */
  isCurrent(mmUserId: string, at: number): Promise<boolean>
  /** Forget the user's wake-up (the user left). */
  cancel(mmUserId: string): Promise<void>
}

export function wakeUpJobId(mmUserId: string, at: number): string {
  return `wake-up-${mmUserId}-${at}`
}

export function createWakeUps(queue: Queue, redis: Redis, prefix: string): WakeUps {
  const key = (id: string): string => `${prefix}:wake-at:${id}`
  const removeQuietly = async (jobId: string): Promise<void> => {
    try {
      await queue.remove(jobId)
    } catch {
      // Active (locked) right now: it will find it is no longer current and skip.
    }
  }
  return {
    async schedule(mmUserId, at) {
      const previous = await redis.get(key(mmUserId))
      if (at === null) {
        if (previous) {
          await redis.del(key(mmUserId))
          await removeQuietly(wakeUpJobId(mmUserId, Number(previous)))
        }
        return
      }
      if (previous === String(at)) return
      await redis.set(key(mmUserId), String(at), 'PX', Math.max(60_000, at - Date.now() + 3600_000))
      await queue.add(
        'wake-up',
        { userId: mmUserId, at },
        {
          jobId: wakeUpJobId(mmUserId, at),
          delay: Math.max(0, at - Date.now()),
          attempts: 5,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: { count: 1000, age: 3600 },
          removeOnFail: { count: 5000 }
        }
      )
      if (previous) await removeQuietly(wakeUpJobId(mmUserId, Number(previous)))
    },
    async moved(entries) {
      if (entries.length === 0) return []
      const pipe = redis.pipeline()
      for (const e of entries) pipe.get(key(e.mmUserId))
      const pending = (await pipe.exec()) ?? []
      return entries.filter((e, i) => {
        const [err, value] = pending[i] ?? [null, null]
        if (err) throw err
        const prev = (value as string | null) ?? null
        return e.at === null ? prev !== null : prev !== String(e.at)
      })
    },
    async isCurrent(mmUserId, at) {
      return (await redis.get(key(mmUserId))) === String(at)
    },
    async cancel(mmUserId) {
      const previous = await redis.get(key(mmUserId))
      await redis.del(key(mmUserId))
      if (previous) await removeQuietly(wakeUpJobId(mmUserId, Number(previous)))
    }
  }
}
