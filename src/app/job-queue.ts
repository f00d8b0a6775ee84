import type { SubscriptionWork } from './subscription-upkeep'

/**
 * The jobs the use cases start: the port they need of the queue (src/queue/create-job-queue.ts
 * implements it with BullMQ). Use cases say what should happen; the queue decides ids, delays,
 * retries and deduplication (src/queue/job-options.ts).
 */
export interface JobQueue {
  /** One debounced sync per user: at most one pending and one running per user. */
  syncUsers(mmUserIds: Iterable<string>, reason: string): Promise<number>
  /** A sweep now, besides the scheduled ones; at most one per 10 s for the same reason. */
  sweepNow(reason: string): Promise<void>
  /** The shards of one sweep; their ids are deterministic, so a retried start adds no second set. */
  sweepShards(sweepId: string, shards: string[][]): Promise<void>
  subscriptionWork(work: SubscriptionWork): Promise<void>
  /** Enrol one person now (`/calstatus on`); one pending job per person. */
  enrolUser(mmUserId: string): Promise<void>
  /** A wake-up of the user at `at` (epoch ms); its job id carries the time. */
  addWakeUp(mmUserId: string, at: number): Promise<void>
  /** Remove a pending wake-up; one running right now cannot be removed and skips itself. */
  removeWakeUp(mmUserId: string, at: number): Promise<void>
}
