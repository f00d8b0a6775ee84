import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Config } from '../config'
import type { Queues } from './create-queues'
import { JOB_OPTIONS } from './job-options'
import type { QueueName } from './jobs'

/** The cluster-wide job schedulers, each on its queue (docs/architecture.md, "Jobs"). */
const SCHEDULERS: ReadonlyArray<{ id: string; queue: QueueName }> = [
  { id: 'sweep', queue: 'sweep' },
  { id: 'drain-inbox', queue: 'sync' },
  { id: 'directory', queue: 'maintenance' },
  { id: 'subscriptions', queue: 'maintenance' },
  { id: 'health', queue: 'maintenance' }
]

/**
 * The cluster-wide schedules: upserting them from every worker is idempotent, one each whatever
 * the number of workers. `reason` goes with the directory run that follows (at start, and after
 * Redis lost the schedulers, when everyone must be enrolled again).
 */
export async function upsertSchedules(queues: Queues, config: Config, reason = 'start'): Promise<void> {
  await queues.sweep.upsertJobScheduler('sweep', { every: config.sweepIntervalSeconds * 1000 }, { name: 'sweep', data: {}, opts: JOB_OPTIONS.sweep })
  // A drain now and then besides the ones notifications ask for: should a web process die between
  // writing the inbox and adding the drain, its users wait seconds, not until the next sweep.
  await queues.sync.upsertJobScheduler('drain-inbox', { every: 15_000 }, { name: 'drain-inbox', data: {}, opts: JOB_OPTIONS['drain-inbox'] })
  await queues.maintenance.upsertJobScheduler('directory', { every: 3600_000 }, { name: 'directory', data: { reason: 'hourly' }, opts: JOB_OPTIONS.directory })
  await queues.maintenance.upsertJobScheduler(
    'subscriptions',
    { every: 15 * 60_000 },
    { name: 'subscriptions', data: { reason: 'upkeep' }, opts: JOB_OPTIONS.subscriptions }
  )
  await queues.maintenance.upsertJobScheduler('health', { every: 10 * 60_000 }, { name: 'health', data: {}, opts: JOB_OPTIONS.health })
  // And a directory run now, once however many workers ask together.
  await queues.maintenance.add('directory', { reason }, { ...JOB_OPTIONS.directory, deduplication: { id: 'directory-start', ttl: 60_000 } })
}

/** The ids of the schedulers Redis does not hold (one small script call each). */
export async function missingSchedules(queues: Queues): Promise<string[]> {
  const found = await Promise.all(SCHEDULERS.map(async (s) => ((await queues[s.queue].getJobScheduler(s.id)) ? null : s.id)))
  return found.filter((id): id is string => id !== null)
}

/**
 * How often a worker checks that the schedulers are still there: every minute, or twice per sweep
 * interval when that is shorter, so that Redis losing its data is noticed, and everyone enrolled
 * again, within one sweep interval.
 */
export function scheduleCheckMs(config: Pick<Config, 'sweepIntervalSeconds'>): number {
  return Math.min(60_000, Math.max(1000, (config.sweepIntervalSeconds * 1000) / 2))
}

export interface ScheduleWatch {
  /** Check now; upsert everything (and start a directory run) when a scheduler is missing. */
  check(why: string): Promise<string[]>
  stop(): void
}

/**
 * Keep the schedulers alive through Redis losing its data (a restart without persistence,
 * FLUSHALL, a failover to an empty replica): checked every `scheduleCheckMs` and whenever
 * `connection` is ready again after a reconnect (docs/architecture.md#schedulers). Users, settings and
 * subscriptions lived in the same Redis: the directory run that follows enrols everyone again,
 * which subscribes and syncs them.
 */
export function watchSchedules(opts: { queues: Queues; config: Config; log: Logger; connection: Redis; intervalMs?: number }): ScheduleWatch {
  const { queues, config, log, connection } = opts
  let running: Promise<string[]> | null = null
  const check = (why: string): Promise<string[]> => {
    // One check at a time: a reconnect during the periodic check does not run a second one.
    running ??= (async () => {
      try {
        const missing = await missingSchedules(queues)
        if (missing.length === 0) return []
        log.warn({ missing, why }, 'job schedulers missing from Redis (its data was lost?): restoring them and enrolling everyone again')
        await upsertSchedules(queues, config, 'schedules-restored')
        log.info({ restored: missing }, 'job schedulers restored')
        return missing
      } finally {
        running = null
      }
    })()
    return running
  }
  const quietly = (why: string): void => {
    // Redis away: the connection logs that once (create-redis.ts); the next check tries again.
    check(why).catch((err: unknown) => log.debug({ err, why }, 'schedule check failed'))
  }
  const timer = setInterval(() => quietly('periodic'), opts.intervalMs ?? scheduleCheckMs(config))
  // 'ready' also fires for the first connection; the start-up upsert covers that one.
  let connectedBefore = connection.status === 'ready'
  const onReady = (): void => {
    if (connectedBefore) quietly('reconnect')
    connectedBefore = true
  }
  connection.on('ready', onReady)
  return {
    check,
    stop() {
      clearInterval(timer)
      connection.off('ready', onReady)
    }
  }
}
