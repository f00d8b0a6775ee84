import type { Config } from '../config'
import type { Queues } from './create-queues'
import { JOB_OPTIONS } from './job-options'

/**
 * The cluster-wide schedules (docs/architecture.md, "Jobs"): upserting them from every worker is
 * idempotent, one each whatever the number of workers.
 */
export async function upsertSchedules(queues: Queues, config: Config): Promise<void> {
  await queues.sweep.upsertJobScheduler('sweep', { every: config.sweepIntervalSeconds * 1000 }, { name: 'sweep', data: {}, opts: JOB_OPTIONS.sweep })
  await queues.maintenance.upsertJobScheduler('directory', { every: 3600_000 }, { name: 'directory', data: { reason: 'hourly' }, opts: JOB_OPTIONS.directory })
  await queues.maintenance.upsertJobScheduler(
    'subscriptions',
    { every: 15 * 60_000 },
    { name: 'subscriptions', data: { reason: 'upkeep' }, opts: JOB_OPTIONS.subscriptions }
  )
  // And a directory run at start, once however many workers start together.
  await queues.maintenance.add('directory', { reason: 'start' }, { ...JOB_OPTIONS.directory, deduplication: { id: 'directory-start', ttl: 60_000 } })
}
