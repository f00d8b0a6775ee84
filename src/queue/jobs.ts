import type { Job } from 'bullmq'
import type { Outcome } from '../app/outcome'
import type { CohortRun } from '../app/job-queue'
import type { SubscriptionWork } from '../app/subscription-upkeep'

// Every job of the service (docs/architecture.md, "Jobs"), the queue it runs on and the shape
// of its data. Queues group jobs by how urgent they are, so a long sweep never delays a
// meeting's start: `sync` (notifications, wake-ups), `sweep`, `maintenance`.

export interface JobDataMap {
  sweep: { scheduledAt?: number }
  'sweep-shard': { sweepId: string; shard: number; userIds: string[] }
  'sync-user': { userId: string; reason: string }
  /** one user's own wake-up (a cohort's run had them busy, or they joined a closed cohort) */
  'wake-up': { userId: string; at: number }
  /** a run of the cohort of `at`: plans the shards (docs/architecture.md, "Wake-ups") */
  'wake-cohort': { at: number; run: CohortRun }
  /** up to 400 members of a cohort, woken together */
  'wake-shard': { at: number; run: CohortRun; userIds: string[] }
  /** the notified users become sync-user jobs (docs/architecture.md#notifications) */
  'drain-inbox': Record<string, never>
  /** one person who just opted in (`/calstatus on`) */
  'enrol-user': { userId: string }
  subscriptions: SubscriptionWork
  directory: { reason: string }
  /** the lasting problems the setup checklist finds, as admin notices */
  health: Record<string, never>
}

export type JobName = keyof JobDataMap

export const QUEUE_NAMES = ['sync', 'sweep', 'maintenance'] as const
export type QueueName = (typeof QUEUE_NAMES)[number]

export const QUEUE_OF: { readonly [K in JobName]: QueueName } = {
  'sync-user': 'sync',
  'wake-up': 'sync',
  'wake-cohort': 'sync',
  'wake-shard': 'sync',
  'enrol-user': 'sync',
  'drain-inbox': 'sync',
  sweep: 'sweep',
  'sweep-shard': 'sweep',
  subscriptions: 'maintenance',
  directory: 'maintenance',
  health: 'maintenance'
}

/** What a processor returns: a use case's outcome (`skipped` for expected skips, with a reason). */
export type JobResult = Outcome

export type Processor<K extends JobName> = (job: Job<JobDataMap[K], JobResult, K>) => Promise<JobResult>

/** The typed map the worker is started from: one processor per job name, no more, no less. */
export type Processors = { [K in JobName]: Processor<K> }

export function jobNamesOf(queue: QueueName): JobName[] {
  return (Object.keys(QUEUE_OF) as JobName[]).filter((name) => QUEUE_OF[name] === queue)
}
