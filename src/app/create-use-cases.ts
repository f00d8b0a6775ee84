import type { GraphAdapter } from '../graph/create-graph-adapter'
import type { MattermostAdapter } from '../mattermost/create-mattermost-adapter'
import { createEnrolment, createEnrolOne } from './enrolment'
import type { Outcome } from './outcome'
import type { Services } from './services'
import { createSubscriptionUpkeep, type SubscriptionWork } from './subscription-upkeep'
import { createSweep, type Sweep } from './sync/sweep'
import { createSyncSoon } from './sync/sync-soon'
import { createSyncUsers, type SyncUsers } from './sync/sync-users'
import { createWakeUps } from './sync/wake-ups'
import { createCohorts, type Cohorts } from './sync/cohorts'
import { createSendNotice } from './sync/send-notice'
import { createHealthWatch } from './admin/health-watch'
import { createDrainInbox } from './drain-inbox'

/** The use cases the worker runs, one per job (src/queue/create-processors.ts maps jobs to them). */
export interface UseCases {
  syncUsers: SyncUsers
  /** `sync-user`: one user now (a notification, a lifecycle event, enrolment). */
  syncUser(mmUserId: string, reason: string): Promise<Outcome>
  /** `wake-up`: one user at a boundary, unless a later wake-up replaced this one. */
  wakeUp(mmUserId: string, at: number): Promise<Outcome>
  /** `wake-cohort` and `wake-shard`: everyone due at the same instant, together. */
  cohorts: Cohorts
  sweep: Sweep
  /** `directory`: enrolment. */
  enrol(): Promise<Outcome>
  /** `drain-inbox`: the notified users become sync-user jobs. */
  drainInbox(): Promise<Outcome>
  /** `enrol-user`: one person who just opted in. */
  enrolOne(mmUserId: string): Promise<Outcome>
  /** `health`: the lasting problems the setup checklist finds, as admin notices. */
  watchHealth(): Promise<Outcome>
  /** `subscriptions`: upkeep, or work for a few users or subscriptions. */
  subscriptions(work: SubscriptionWork): Promise<Outcome>
}

/** Services with both integrations configured: what syncing statuses needs. */
export type SyncServices = Services & { graph: GraphAdapter; mattermost: MattermostAdapter }

/** How long before the pre-roll may begin a cohort's early run counts who is due. */
const EARLY_PLAN_MS = 5000

export function createUseCases(s: SyncServices): UseCases {
  const maxEarlyMs = s.config.maxEarlySeconds * 1000
  // The early run plans a few seconds before the earliest the pre-roll may begin.
  const wakeUps = createWakeUps({ markers: s.wakeUpMarkers, jobs: s.jobs, earlyRunLeadMs: maxEarlyMs > 0 ? maxEarlyMs + EARLY_PLAN_MS : 0 })
  const sendNotice = createSendNotice({ mattermost: s.mattermost, daily: s.dailyNotices, actions: s.personActions, log: s.log })
  const syncUsers = createSyncUsers({
    users: s.users,
    calendars: s.graph,
    mattermost: s.mattermost,
    defaults: s.defaults,
    wakeUps,
    sendNotice,
    canAsk: s.personActions !== null,
    log: s.log
  })
  const syncSoon = createSyncSoon(s.jobs)
  const subscriptionsApi = s.graph.subscriptions

  const leave = async (mmUserId: string): Promise<void> => {
    await wakeUps.cancel(mmUserId)
    const sub = await s.subscriptions.byUser(mmUserId)
    if (!sub) return
    await subscriptionsApi?.delete(sub.id).catch((err: unknown) => s.log.warn({ err }, 'could not delete a subscription'))
    await s.subscriptions.remove(sub.id)
  }
  const onEnrolled = async (ids: string[]): Promise<void> => {
    if (subscriptionsApi) await s.jobs.subscriptionWork({ reason: 'enrolment', mmUserIds: ids })
    await syncSoon(ids, 'enrolment')
  }
  const enrolOne = createEnrolOne(
    { directory: s.mattermost, identities: s.graph, users: s.users, onEnrolled, syncSoon: (ids) => syncSoon(ids, 'opted in'), log: s.log },
    { syncUsers: s.config.syncUsers, syncUnverifiedEmails: s.config.syncUnverifiedEmails }
  )
  const enrol = createEnrolment(
    {
      directory: s.mattermost,
      identities: s.graph,
      users: s.users,
      locks: s.locks,
      onLeave: leave,
      onEnrolled,
      notices: s.notices,
      log: s.log
    },
    { syncUsers: s.config.syncUsers, syncUnverifiedEmails: s.config.syncUnverifiedEmails }
  )
  const upkeep = subscriptionsApi
    ? createSubscriptionUpkeep(
        {
          api: subscriptionsApi,
          subscriptions: s.subscriptions,
          users: s.users,
          log: s.log,
          registry: s.registry,
          // Changes made before a subscription existed were never notified: look once more.
          onSubscribed: (ids) => syncSoon(ids, 'subscribed'),
          locks: s.locks,
          continueLater: () => s.jobs.subscriptionWork({ reason: 'upkeep' })
        },
        {
          lifetimeMinutes: subscriptionsApi.lifetimeMinutes,
          createsPerSecond: s.config.microsoft?.subscriptionCreatesPerSecond ?? 40,
          // Enough in flight for the rate when each creation waits a second or two on the handshake.
          concurrency: 100,
          // Under the 15-minute schedule, so runs follow each other instead of overlapping.
          runBudgetMs: 10 * 60_000
        }
      )
    : null

  const syncUser = async (mmUserId: string, reason: string): Promise<Outcome> => ({
    outcome: 'done',
    detail: { ...(await syncUsers([mmUserId], { reason, failIfBusy: true })) }
  })
  return {
    syncUsers,
    syncUser,
    cohorts: createCohorts({
      markers: s.wakeUpMarkers,
      jobs: s.jobs,
      syncUsers,
      allowance: s.mattermostAllowance,
      maxEarlyMs,
      log: s.log
    }),
    async wakeUp(mmUserId, at) {
      if (!(await wakeUps.isCurrent(mmUserId, at))) return { outcome: 'skipped', reason: 'superseded by a later wake-up' }
      return syncUser(mmUserId, 'wake-up')
    },
    sweep: createSweep({
      users: s.users,
      sweeps: s.sweeps,
      jobs: s.jobs,
      syncUsers,
      signIn: () => s.graph.tokens.getToken(),
      log: s.log,
      registry: s.registry
    }),
    drainInbox: createDrainInbox({ inbox: s.inbox, jobs: s.jobs }),
    enrol,
    enrolOne,
    watchHealth: createHealthWatch({ subscriptions: s.subscriptions, redis: s.redisInfo, notices: s.notices }),
    subscriptions: async (work) => (upkeep ? upkeep(work) : { outcome: 'skipped', reason: 'PUBLIC_URL is not set: no change notifications' })
  }
}
