import type { JobQueue } from '../app/job-queue'
import type { Queues } from './create-queues'
import { JOB_OPTIONS } from './job-options'
import type { JobDataMap } from './jobs'

/**
 * How long a sync-user job waits before it runs, so a burst of notifications becomes one job.
 * Deduplication holds for as long as the job is pending (however long a backlog makes that);
 * one arriving while it runs leaves exactly one follow-up (`keepLastIfActive`): at most one
 * running and one pending per user, and no change is lost.
 */
export const SYNC_DEBOUNCE_MS = 150
/** A sweep asked for outside the schedule (many users enrolled at once): one per 10 s at most. */
const SWEEP_NOW_TTL_MS = 10_000

export function wakeUpJobId(mmUserId: string, at: number): string {
  return `wake-up-${mmUserId}-${at}`
}

/** The use cases' job port on BullMQ queues. */
export function createJobQueue(queues: Queues, now: () => number = Date.now): JobQueue {
  return {
    async syncUsers(mmUserIds, reason) {
      const unique = [...new Set(mmUserIds)]
      if (unique.length === 0) return 0
      await queues.sync.addBulk(
        unique.map((userId) => ({
          name: 'sync-user',
          data: { userId, reason } satisfies JobDataMap['sync-user'],
          opts: { ...JOB_OPTIONS['sync-user'], delay: SYNC_DEBOUNCE_MS, deduplication: { id: `sync-user:${userId}`, keepLastIfActive: true } }
        }))
      )
      return unique.length
    },
    async sweepNow(reason) {
      await queues.sweep.add('sweep', {} satisfies JobDataMap['sweep'], {
        ...JOB_OPTIONS.sweep,
        deduplication: { id: `sweep-now:${reason}`, ttl: SWEEP_NOW_TTL_MS }
      })
    },
    async sweepShards(sweepId, shards) {
      await queues.sweep.addBulk(
        shards.map((userIds, shard) => ({
          name: 'sweep-shard',
          data: { sweepId, shard, userIds } satisfies JobDataMap['sweep-shard'],
          opts: { ...JOB_OPTIONS['sweep-shard'], jobId: `${sweepId}-shard-${shard}` }
        }))
      )
    },
    async enrolUser(mmUserId) {
      await queues.sync.add('enrol-user', { userId: mmUserId } satisfies JobDataMap['enrol-user'], {
        ...JOB_OPTIONS['enrol-user'],
        deduplication: { id: `enrol-user:${mmUserId}` }
      })
    },
    async subscriptionWork(work) {
      await queues.maintenance.add('subscriptions', work satisfies JobDataMap['subscriptions'], JOB_OPTIONS.subscriptions)
    },
    async addWakeUp(mmUserId, at) {
      await queues.sync.add('wake-up', { userId: mmUserId, at } satisfies JobDataMap['wake-up'], {
        ...JOB_OPTIONS['wake-up'],
        jobId: wakeUpJobId(mmUserId, at),
        delay: Math.max(0, at - now())
      })
    },
    async removeWakeUp(mmUserId, at) {
      try {
        await queues.sync.remove(wakeUpJobId(mmUserId, at))
      } catch {
        // Active (locked) right now: it will find it is no longer current and skip.
      }
    }
  }
}
