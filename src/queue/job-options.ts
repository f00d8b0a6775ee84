import type { JobsOptions } from 'bullmq'
import type { JobName } from './jobs'

/**
 * How many times each job is tried, how it backs off, and how long finished jobs are kept: one
 * table for every job the service adds (docs/architecture.md, "Jobs"). Ids, delays and
 * deduplication depend on the call and are set where the job is added (create-job-queue.ts).
 */
export const JOB_OPTIONS: { readonly [K in JobName]: JobsOptions } = {
  'sync-user': { attempts: 5, backoff: { type: 'exponential', delay: 1000 }, ...keep(1000, 3600, 5000, 7 * 24 * 3600) },
  'wake-up': { attempts: 5, backoff: { type: 'exponential', delay: 1000 }, ...keep(1000, 3600, 5000) },
  'wake-cohort': { attempts: 5, backoff: { type: 'exponential', delay: 500 }, ...keep(1000, 3600, 1000, 7 * 24 * 3600) },
  'wake-shard': { attempts: 5, backoff: { type: 'exponential', delay: 500 }, ...keep(2000, 3600, 2000, 7 * 24 * 3600) },
  'enrol-user': { attempts: 5, backoff: { type: 'exponential', delay: 1000 }, ...keep(1000, 3600, 1000, 7 * 24 * 3600) },
  'drain-inbox': { attempts: 10, backoff: { type: 'exponential', delay: 500 }, ...keep(100, 3600, 1000, 7 * 24 * 3600) },
  sweep: { ...keep(100, 24 * 3600, 100, 7 * 24 * 3600) },
  'sweep-shard': { attempts: 3, backoff: { type: 'exponential', delay: 2000 }, ...keep(2000, 3600, 2000) },
  subscriptions: { attempts: 5, backoff: { type: 'exponential', delay: 5000 }, ...keep(1000, 3600, 5000, 7 * 24 * 3600) },
  directory: { ...keep(100, 24 * 3600, 100, 7 * 24 * 3600) },
  health: { ...keep(100, 24 * 3600, 100, 7 * 24 * 3600) }
}

/**
 * Keep the last `completed` finished jobs for at most `completedAge` seconds (Bull Board shows
 * them), and the last `failed` failed ones, for `failedAge` seconds when given.
 */
function keep(completed: number, completedAge: number, failed: number, failedAge?: number): JobsOptions {
  return {
    removeOnComplete: { count: completed, age: completedAge },
    removeOnFail: failedAge === undefined ? { count: failed } : { count: failed, age: failedAge }
  }
}
