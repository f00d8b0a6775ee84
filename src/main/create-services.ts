import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Services } from '../app/services'
import type { SweepSummary } from '../app/sync/sweep'
import type { Config } from '../config'
import type { RememberedState, SettingsOverrides } from '../domain'
import { createGraphAdapter } from '../graph/create-graph-adapter'
import { createMattermostAdapter } from '../mattermost/create-mattermost-adapter'
import { createJobQueue } from '../queue/create-job-queue'
import type { Queues } from '../queue/create-queues'
import { createClusterLock } from '../store/cluster-lock'
import { createDefaultsStore } from '../store/defaults-store'
import { createSubscriptionStore } from '../store/subscription-store'
import { createSweepStore } from '../store/sweep-store'
import { createUserStore } from '../store/user-store'
import { createWakeUpStore } from '../store/wake-up-store'

export interface ServiceConnections {
  /** state reads and writes: fail-fast in the web process, retried a few times in the worker (create-redis.ts) */
  state: Redis
  queues: Queues
}

/**
 * The one services object of a process (src/app/services.ts): stores on the state connection,
 * the job queue, and the Graph and Mattermost adapters when configured. Both processes build it
 * the same way, so every use case can run in either.
 */
export function createServices(config: Config, log: Logger, registry: Registry, connections: ServiceConnections): Services {
  const { state, queues } = connections
  const prefix = config.queuePrefix
  return {
    config,
    log,
    registry,
    users: createUserStore<RememberedState, SettingsOverrides>(state, prefix),
    subscriptions: createSubscriptionStore(state, prefix),
    defaults: createDefaultsStore<SettingsOverrides>(state, prefix),
    wakeUpMarkers: createWakeUpStore(state, prefix),
    sweeps: createSweepStore<SweepSummary>(state, prefix),
    locks: createClusterLock(state, prefix),
    jobs: createJobQueue(queues),
    graph: config.microsoft ? createGraphAdapter(config.microsoft, { log, registry, publicUrl: config.publicUrl }) : null,
    mattermost: config.mattermost ? createMattermostAdapter(config.mattermost, { log, registry, redis: state, keyPrefix: prefix }) : null
  }
}
