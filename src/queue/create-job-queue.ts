import { randomUUID } from 'node:crypto'
import type { CohortRun, JobQueue } from '../app/job-queue'
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
/**
 * How long a drain of the notification inbox waits: the notifications of one change (Graph
 * often sends `created` and `updated` together) and of one burst go in one drain.
 */
export const INBOX_DRAIN_DELAY_MS = 100
/** A sweep asked for outside the schedule (many users enrolled at once): one per 10 s at most. */
const SWEEP_NOW_TTL_MS = 10_000

/** A cohort run's job id: one per instant and run, so adding it again is a no-op. */
export function cohortJobId(at: number, run: CohortRun): string {
  return `cohort-${at}-${run}`
}

/** The use cases' job port on BullMQ queues. */
export function createJobQueue(queues: Queues, now: () => number = Date.now): JobQueue {
  return {
    async syncUsers(mmUserIds, reason, opts = {}) {
      const unique = [...new Set(mmUserIds)]
      if (unique.length === 0) return 0
      const delay = opts.now ? 0 : SYNC_DEBOUNCE_MS
      await queues.sync.addBulk(
        unique.map((userId) => ({
          name: 'sync-user',
          data: { userId, reason } satisfies JobDataMap['sync-user'],
          opts: { ...JOB_OPTIONS['sync-user'], delay, deduplication: { id: `sync-user:${userId}`, keepLastIfActive: true } }
        }))
      )
      return unique.length
    },
    async drainInbox() {
      await queues.sync.add('drain-inbox', {} satisfies JobDataMap['drain-inbox'], {
        ...JOB_OPTIONS['drain-inbox'],
        delay: INBOX_DRAIN_DELAY_MS,
        deduplication: { id: 'drain-inbox', keepLastIfActive: true }
      })
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
    async addWakeUp(mmUserId, at, afterMs = 0) {
      // A unique id: BullMQ silently ignores an add whose id exists, finished jobs included, and a
      // user may need a second wake-up at the same instant (issue 18: starts missed that way).
      await queues.sync.add('wake-up', { userId: mmUserId, at } satisfies JobDataMap['wake-up'], {
        ...JOB_OPTIONS['wake-up'],
        jobId: `wake-up-${mmUserId}-${at}-${randomUUID()}`,
        delay: Math.max(afterMs, at - now(), 0)
      })
    },
    async addCohort(at, earlyLeadMs) {
      const runs: Array<{ run: CohortRun; runAt: number }> = [{ run: 'on-time', runAt: at }]
      if (earlyLeadMs > 0) runs.unshift({ run: 'early', runAt: at - earlyLeadMs })
      await queues.sync.addBulk(
        runs.map(({ run, runAt }) => ({
          name: 'wake-cohort',
          data: { at, run } satisfies JobDataMap['wake-cohort'],
          opts: { ...JOB_OPTIONS['wake-cohort'], jobId: cohortJobId(at, run), delay: Math.max(0, runAt - now()) }
        }))
      )
    },
    async cohortShards(at, run, shards) {
      await queues.sync.addBulk(
        shards.map((userIds, i) => ({
          name: 'wake-shard',
          data: { at, run, userIds } satisfies JobDataMap['wake-shard'],
          opts: { ...JOB_OPTIONS['wake-shard'], jobId: `${cohortJobId(at, run)}-${i}` }
        }))
      )
    }
  }
}
