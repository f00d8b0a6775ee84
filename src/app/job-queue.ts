import type { SubscriptionWork } from './subscription-upkeep'

/**
 * The jobs the use cases start: the port they need of the queue (src/queue/create-job-queue.ts
 * implements it with BullMQ). Use cases say what should happen; the queue decides ids, delays,
 * retries and deduplication (src/queue/job-options.ts).
 */
export interface JobQueue {
  /**
   * One sync per user, at most one pending and one running per user; debounced (it waits a
   * moment, so a burst of changes becomes one) unless `now`.
   */
  syncUsers(mmUserIds: Iterable<string>, reason: string, opts?: { now?: boolean }): Promise<number>
  /** A drain of the notification inbox soon; one pending at a time. */
  drainInbox(): Promise<void>
  /** A sweep now, besides the scheduled ones; at most one per 10 s for the same reason. */
  sweepNow(reason: string): Promise<void>
  /** The shards of one sweep; their ids are deterministic, so a retried start adds no second set. */
  sweepShards(sweepId: string, shards: string[][]): Promise<void>
  subscriptionWork(work: SubscriptionWork): Promise<void>
  /** Enrol one person now (`/calstatus on`); one pending job per person. */
  enrolUser(mmUserId: string): Promise<void>
  /**
   * A wake-up of the user's own at `at` (epoch ms), or `afterMs` from now when that is later:
   * each call adds one (a run that finds it is no longer the user's wake-up skips).
   */
  addWakeUp(mmUserId: string, at: number, afterMs?: number): Promise<void>
  /**
   * The runs of the cohort of `at`: an early one `earlyLeadMs` before it (none when 0), which
   * plans the pre-roll, and the on-time one at `at`. Ids carry the instant: adding twice adds once.
   */
  addCohort(at: number, earlyLeadMs: number): Promise<void>
  /** The shards of one run of a cohort, 400 users each at most; ids carry instant, run and index. */
  cohortShards(at: number, run: CohortRun, shards: string[][]): Promise<void>
}

/** A cohort's two runs: `early` may enter blocks before their start (pre-roll), `on-time` at the instant. */
export type CohortRun = 'early' | 'on-time'
