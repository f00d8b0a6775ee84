import type { UseCases } from '../app/create-use-cases'
import type { Processors } from './jobs'

/** One processor per job name: each validates nothing more than its typed data and calls its use case. */
export function createProcessors(useCases: UseCases): Processors {
  return {
    sweep: (job) => useCases.sweep.start(`sweep-${job.timestamp}`),
    'sweep-shard': (job) => useCases.sweep.shard(job.data),
    'sync-user': (job) => useCases.syncUser(job.data.userId, job.data.reason),
    'wake-up': (job) => useCases.wakeUp(job.data.userId, job.data.at),
    'wake-cohort': (job) => useCases.cohorts.run(job.data),
    'wake-shard': (job) => useCases.cohorts.shard(job.data),
    'drain-inbox': () => useCases.drainInbox(),
    'enrol-user': (job) => useCases.enrolOne(job.data.userId),
    subscriptions: (job) => useCases.subscriptions(job.data),
    directory: () => useCases.enrol(),
    health: () => useCases.watchHealth()
  }
}
