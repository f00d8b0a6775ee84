import type { Queue } from 'bullmq'
import type { JobDataMap } from './jobs'

/**
 * How long a sync-user job waits before it runs, so a burst of notifications becomes one job.
 * Deduplication holds for as long as the job is pending (however long a backlog makes that);
 * one arriving while it runs leaves exactly one follow-up (`keepLastIfActive`): at most one
 * running and one pending per user, and no change is lost.
 */
export const SYNC_DEBOUNCE_MS = 150

const KEEP = { removeOnComplete: { count: 1000, age: 3600 }, removeOnFail: { count: 5000, age: 7 * 24 * 3600 } }

export async function enqueueUserSyncs(queue: Queue, userIds: Iterable<string>, reason: string): Promise<number> {
  const unique = [...new Set(userIds)]
  if (unique.length === 0) return 0
  await queue.addBulk(
    unique.map((userId) => ({
      name: 'sync-user',
      data: { userId, reason } satisfies JobDataMap['sync-user'],
      opts: {
        delay: SYNC_DEBOUNCE_MS,
        deduplication: { id: `sync-user:${userId}`, keepLastIfActive: true },
        attempts: 5,
        backoff: { type: 'exponential', delay: 1000 },
        ...KEEP
      }
    }))
  )
  return unique.length
}

export async function enqueueSubscriptionWork(queue: Queue, data: JobDataMap['subscriptions']): Promise<void> {
  await queue.add('subscriptions', data, { attempts: 5, backoff: { type: 'exponential', delay: 5000 }, ...KEEP })
}

/** A sweep now, besides the scheduled ones (many users enrolled at once); one per 10 s at most. */
export async function enqueueSweepNow(queue: Queue, reason: string): Promise<void> {
  await queue.add('sweep', {}, { deduplication: { id: `sweep-now:${reason}`, ttl: 10_000 }, ...KEEP })
}
