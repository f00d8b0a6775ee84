import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { createAdminNotices, type AdminNotices, type ProblemKind } from '../app/admin-notices'
import { createOutageWatch } from '../app/outage-watch'
import type { Services } from '../app/services'
import type { SweepSummary } from '../app/sync/sweep'
import type { Config } from '../config'
import type { RememberedState, SettingsOverrides } from '../domain'
import { createGraphAdapter } from '../graph/create-graph-adapter'
import { createMattermostAdapter, type MattermostAdapter } from '../mattermost/create-mattermost-adapter'
import { createJobQueue } from '../queue/create-job-queue'
import type { Queues } from '../queue/create-queues'
import { createClusterLock } from '../store/cluster-lock'
import { createDefaultsStore } from '../store/defaults-store'
import { createDailyNoticeStore } from '../store/daily-notice-store'
import { createActivityStore } from '../store/activity-store'
import { createDefaultsAuditStore } from '../store/defaults-audit-store'
import { createNonceStore } from '../store/nonce-store'
import { createContextSigner } from '../shared/signed-context'
import { withEnvironmentDefaults } from '../app/effective-defaults'
import { createHmac } from 'node:crypto'
import { createProblemStore, type ProblemStore } from '../store/problem-store'
import { createSubscriptionStore } from '../store/subscription-store'
import { createSweepStore } from '../store/sweep-store'
import { createUserStore } from '../store/user-store'
import { createNotificationInbox } from '../store/notification-inbox'
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
  const problems = createProblemStore(state, prefix)
  let mattermost: MattermostAdapter | null = null
  const savedDefaults = createDefaultsStore<SettingsOverrides>(state, prefix)
  const adminPageUrl = config.publicUrl && config.admin ? `${config.publicUrl.replace(/\/+$/, '')}/admin` : null
  const notices = createAdminNotices({ problems, messenger: () => mattermost, log, registry, adminPageUrl })
  const hooks = adminNoticeHooks(config, log, problems, notices)
  mattermost = config.mattermost
    ? createMattermostAdapter(config.mattermost, {
        log,
        registry,
        redis: state,
        keyPrefix: prefix,
        permission: hooks.mattermostPermission,
        health: hooks.mattermostHealth
      })
    : null
  return {
    config,
    log,
    registry,
    users: createUserStore<RememberedState, SettingsOverrides>(state, prefix),
    subscriptions: createSubscriptionStore(state, prefix),
    defaults: withEnvironmentDefaults(config.defaults, savedDefaults),
    savedDefaults,
    defaultsAudit: createDefaultsAuditStore(state, prefix),
    wakeUpMarkers: createWakeUpStore(state, prefix),
    inbox: createNotificationInbox(state, prefix),
    mattermostAllowance: async () => (mattermost ? mattermost.allowance() : { perSecond: 1, burst: 0 }),
    sweeps: createSweepStore<SweepSummary>(state, prefix),
    locks: createClusterLock(state, prefix),
    jobs: createJobQueue(queues),
    notices,
    dailyNotices: createDailyNoticeStore(state, prefix),
    redisInfo: state,
    activity: createActivityStore(state, prefix),
    nonces: createNonceStore(state, prefix),
    personActions: personActions(config),
    graph: config.microsoft
      ? createGraphAdapter(config.microsoft, { log, registry, publicUrl: config.publicUrl, signIn: hooks.graphSignIn, health: hooks.graphHealth })
      : null,
    mattermost
  }
}

/** Where the adapters' reports become admin notices (docs/architecture.md#failure-notices). */
function adminNoticeHooks(config: Config, log: Logger, problems: ProblemStore, notices: AdminNotices) {
  const quietly = (kind: ProblemKind, work: Promise<void>): void => {
    work.catch((err: unknown) => log.warn({ err, problem: kind }, 'could not record a problem'))
  }
  const outage = (kind: ProblemKind, what: string, where: string) =>
    createOutageWatch(
      { notices, problems, log },
      {
        kind,
        thresholdMs: config.outageNoticeSeconds * 1000,
        describe: (since) =>
          `Every call to ${what} has failed (no answer, or a 5xx) since ${new Date(since).toISOString()}: statuses are not kept in step with calendars meanwhile. Jobs keep retrying; nothing is lost. If ${what}'s own service status shows no incident, check this server's network path to ${where}.`
      }
    )
  const graph = outage('graph-outage', 'Microsoft Graph', 'MS_GRAPH_URL')
  const mm = outage('mattermost-outage', 'Mattermost', 'MM_URL')
  return {
    graphSignIn: {
      signedIn: () => quietly('graph-sign-in', notices.clear('graph-sign-in')),
      signInFailed: (err: Error) =>
        quietly('graph-sign-in', notices.raise('graph-sign-in', `${err.message}. Statuses are not kept in step with calendars until this is fixed.`))
    },
    graphHealth: (up: boolean) => graph.report(up),
    mattermostHealth: (up: boolean) => mm.report(up),
    mattermostPermission: {
      missing: (message: string) => notices.raise('mattermost-permission', message),
      ok: () => quietly('mattermost-permission', notices.clear('mattermost-permission'))
    }
  }
}

/** The actions URL and a signing key derived from the bot token, which both processes hold (no extra secret to configure). */
function personActions(config: Config): Services['personActions'] {
  if (!config.mattermost || !config.publicUrl) return null
  const key = createHmac('sha256', config.mattermost.botToken).update('calstatus: signing keys of message actions').digest()
  return { url: `${config.publicUrl.replace(/\/+$/, '')}/mattermost/actions`, signer: createContextSigner(key) }
}
