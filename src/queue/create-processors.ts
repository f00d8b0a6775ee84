import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Config } from '../config'
import type { GraphAdapter } from '../graph/create-graph-adapter'
import type { MattermostAdapter } from '../mattermost/create-mattermost-adapter'
import type { RememberedState, SettingsOverrides } from '../domain'
import { createUserStore } from '../store/user-store'
import { createSubscriptionStore } from '../store/subscription-store'
import type { Queues } from './create-queues'
import type { Processors } from './jobs'
import { enqueueSubscriptionWork, enqueueSweepNow, enqueueUserSyncs } from './enqueue-jobs'
import { createWakeUps } from './wake-ups'
import { createSyncPipeline } from './processors/sync-pipeline'
import { createSweep, createSweepMetrics } from './processors/sweep'
import { createDirectoryProcessor } from './processors/directory'
import { createSubscriptionUpkeep } from './processors/subscription-upkeep'

/** Longest a directory run may hold the cluster's directory lock (a killed worker's expires). */
const DIRECTORY_LOCK_MS = 15 * 60_000
/** Above this many newly enrolled or subscribed users, one sweep beats one sync each. */
const ENROLMENT_SYNC_LIMIT = 20

export interface WorkerServices {
  config: Config
  log: Logger
  registry: Registry
  /** state reads and writes (a `command` connection) */
  redis: Redis
  queues: Queues
  graph: GraphAdapter
  mattermost: MattermostAdapter
}

/** The worker's composition root for jobs: one processor per job name. */
export function createProcessors(s: WorkerServices): Processors {
  const prefix = s.config.queuePrefix
  const users = createUserStore<RememberedState, SettingsOverrides>(s.redis, prefix)
  const subscriptions = createSubscriptionStore(s.redis, prefix)
  const wakeUps = createWakeUps(s.queues.sync, s.redis, prefix)
  const syncUsers = createSyncPipeline({
    users,
    fetchSchedules: (emails, window) => s.graph.fetchSchedules(emails, window),
    mattermost: s.mattermost,
    adminDefaults: async () => ({}),
    scheduleWakeUp: (id, at) => wakeUps.schedule(id, at),
    wakeUpsToMove: (entries) => wakeUps.moved(entries),
    log: s.log
  })
  const sweep = createSweep({
    queue: s.queues.sweep,
    redis: s.redis,
    prefix,
    enrolledIds: () => users.enrolledIds(),
    syncUsers,
    log: s.log,
    metrics: createSweepMetrics(s.registry)
  })
  // A few users get their own syncs; many (the first run on a big site) get one sweep now:
  // 400 users per Graph request instead of one request each.
  const syncSoon = async (ids: string[], reason: string): Promise<void> => {
    if (ids.length <= ENROLMENT_SYNC_LIMIT) await enqueueUserSyncs(s.queues.sync, ids, reason)
    else await enqueueSweepNow(s.queues.sweep, reason)
  }
  const directory = createDirectoryProcessor(
    {
      listUsers: () => s.mattermost.listUsers(),
      resolveUsers: (emails) => s.graph.resolveUsers(emails),
      users,
      onLeave: async (id) => {
        await wakeUps.cancel(id)
        const sub = await subscriptions.byUser(id)
        if (sub) {
          await s.graph.subscriptions?.delete(sub.id).catch((err: Error) => s.log.warn({ err: err.message }, 'could not delete a subscription'))
          await subscriptions.remove(sub.id)
        }
      },
      onEnrolled: async (ids) => {
        if (s.graph.subscriptions) await enqueueSubscriptionWork(s.queues.maintenance, { reason: 'enrolment', mmUserIds: ids })
        await syncSoon(ids, 'enrolment')
      },
      log: s.log
    },
    { syncUsers: s.config.syncUsers }
  )
  const upkeep = s.graph.subscriptions
    ? createSubscriptionUpkeep(
        {
          api: s.graph.subscriptions,
          subscriptions,
          users,
          log: s.log,
          registry: s.registry,
          // Changes made before a subscription existed were never notified: look once more.
          onSubscribed: (ids) => syncSoon(ids, 'subscribed')
        },
        { lifetimeMinutes: s.config.microsoft?.subscriptionLifetimeMinutes ?? 4200, maxCreatesPerRun: 2500, concurrency: 4 }
      )
    : null

  return {
    sweep: async (job) => sweep.start(`sweep-${job.timestamp}`),
    'sweep-shard': async (job) => sweep.shard(job.data.sweepId, job.data.shard, job.data.userIds),
    'sync-user': async (job) => ({ outcome: 'done', detail: { ...(await syncUsers([job.data.userId], { reason: job.data.reason, failIfBusy: true })) } }),
    'wake-up': async (job) => {
      if (!(await wakeUps.isCurrent(job.data.userId, job.data.at))) return { outcome: 'skipped', reason: 'superseded by a later wake-up' }
      return { outcome: 'done', detail: { ...(await syncUsers([job.data.userId], { reason: 'wake-up', failIfBusy: true })) } }
    },
    subscriptions: async (job) => (upkeep ? upkeep(job.data) : { outcome: 'skipped', reason: 'PUBLIC_URL is not set: no change notifications' }),
    directory: async () => {
      // One run at a time for the cluster: the hourly scheduler's first run and the start-up
      // run arrive together, and two concurrent runs would enrol (and subscribe) everyone twice.
      const lock = `${prefix}:lock:directory`
      const token = `${process.pid}-${Date.now()}`
      if ((await s.redis.set(lock, token, 'PX', DIRECTORY_LOCK_MS, 'NX')) !== 'OK')
        return { outcome: 'skipped', reason: 'another directory run is in progress' }
      try {
        return await directory()
      } finally {
        if ((await s.redis.get(lock)) === token) await s.redis.del(lock)
      }
    }
  }
}

/** The cluster-wide schedules: upserting them from every worker is idempotent (one each). */
export async function upsertSchedules(queues: Queues, config: Config): Promise<void> {
  await queues.sweep.upsertJobScheduler('sweep', { every: config.sweepIntervalSeconds * 1000 }, { name: 'sweep', data: {} })
  await queues.maintenance.upsertJobScheduler('directory', { every: 3600_000 }, { name: 'directory', data: { reason: 'hourly' } })
  await queues.maintenance.upsertJobScheduler('subscriptions', { every: 15 * 60_000 }, { name: 'subscriptions', data: { reason: 'upkeep' } })
  // And a directory run at start, once however many workers start together.
  await queues.maintenance.add('directory', { reason: 'start' }, { deduplication: { id: 'directory-start', ttl: 60_000 } })
}
