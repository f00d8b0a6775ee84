import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Config } from '../config'
import type { RememberedState, SettingsOverrides } from '../domain'
import type { GraphAdapter } from '../graph/create-graph-adapter'
import type { MattermostAdapter } from '../mattermost/create-mattermost-adapter'
import type { ClusterLock } from '../store/cluster-lock'
import type { DefaultsStore } from '../store/defaults-store'
import type { SubscriptionStore } from '../store/subscription-store'
import type { SweepStore } from '../store/sweep-store'
import type { UserRecord, UserStore } from '../store/user-store'
import type { WakeUpStore } from '../store/wake-up-store'
import type { NotificationInbox } from '../store/notification-inbox'
import type { DailyNoticeStore } from '../store/daily-notice-store'
import type { RedisInfoPort } from './admin/redis-checks'
import type { ActivityStore } from '../store/activity-store'
import type { DefaultsAuditStore } from '../store/defaults-audit-store'
import type { NonceStore } from '../store/nonce-store'
import type { ContextSigner } from '../shared/signed-context'
import type { AdminNotices } from './admin-notices'
import type { JobQueue } from './job-queue'
import type { SweepSummary } from './sync/sweep'
import type { Allowance } from './sync/plan-lead'

/** The user store as the service uses it: remembered state and settings of the rule engine. */
export type SyncedUserStore = UserStore<RememberedState, SettingsOverrides>
export type SyncedUser = UserRecord<RememberedState, SettingsOverrides>

/**
 * Everything a use case may need, built once per process (src/main/create-services.ts): the
 * configuration, logging and metrics, the stores, the job queue, and the adapters of
 * Microsoft Graph and Mattermost. Use cases take the narrow part they use (`Pick<Services, ...>`).
 */
export interface Services {
  config: Config
  log: Logger
  registry: Registry
  users: SyncedUserStore
  subscriptions: SubscriptionStore
  /** the admin's defaults as the sync reads them: DEFAULT_* with the saved ones over them */
  defaults: DefaultsStore<SettingsOverrides>
  /** the saved layer alone (the admin page edits it) */
  savedDefaults: DefaultsStore<SettingsOverrides>
  /** who changed the saved defaults, when, what */
  defaultsAudit: DefaultsAuditStore
  wakeUpMarkers: WakeUpStore
  /** the users Graph notified us about, until a drain queues their syncs */
  inbox: NotificationInbox
  /** what Mattermost allows now: a crowded minute's pre-roll is planned with it */
  mattermostAllowance: () => Promise<Allowance>
  sweeps: SweepStore<SweepSummary>
  locks: ClusterLock
  jobs: JobQueue
  /** problems admins must hear of: kept in Redis, a gauge, DMs to ADMIN_MM_USERS */
  notices: AdminNotices
  /** Redis's own INFO and CONFIG (the setup checklist, the health job) */
  redisInfo: RedisInfoPort
  /** the last 24 hours in 5-minute buckets, for the admin page */
  activity: ActivityStore
  /** notify `daily`: one message per person and day */
  dailyNotices: DailyNoticeStore
  /** spent contexts of our buttons and menus: each works once */
  nonces: NonceStore
  /**
   * Where our buttons and menus post back (PUBLIC_URL/mattermost/actions) and how their contexts
   * are signed; null without PUBLIC_URL or Mattermost: no buttons, so no "Ask first" either.
   */
  personActions: { url: string; signer: ContextSigner } | null
  /** null when Microsoft 365 is not configured */
  graph: GraphAdapter | null
  /** null when Mattermost is not configured */
  mattermost: MattermostAdapter | null
}
