import { coalesce } from '../shared/coalesce'
import type { NotificationInbox } from '../store/notification-inbox'
import type { SubscriptionStore } from '../store/subscription-store'
import type { JobQueue } from './job-queue'

/** What the web process does with authentic Graph notifications: it puts them where a worker finds them. */
export interface NotificationIntake {
  /** The subscriptions we hold, by id: whose they are and their secret. */
  lookup(subscriptionIds: string[]): Promise<Map<string, { mmUserId: string; clientState: string }>>
  /** Calendars changed: the users go into the inbox; resolves once it is written. */
  notified(mmUserIds: string[]): Promise<void>
  lifecycle(events: Array<{ event: string; subscriptionId: string; mmUserId: string }>): Promise<void>
}

export interface NotificationIntakeDeps {
  subscriptions: Pick<SubscriptionStore, 'ownersOf'>
  inbox: Pick<NotificationInbox, 'add'>
  jobs: Pick<JobQueue, 'syncUsers' | 'subscriptionWork' | 'drainInbox'>
}

/**
 * Requests that arrive together share one subscription look-up and one inbox write (group
 * commit, docs/architecture.md#notifications): Graph is answered 202 only once its users are in
 * Redis, yet a burst costs a few Redis calls per batch of requests instead of a job each.
 *
 * Lifecycle events (docs/graph.md#lifecycle-events): `missed` resyncs the user;
 * `subscriptionRemoved` gets a new subscription and resyncs (changes may have been lost
 * meanwhile); `reauthorizationRequired` renews.
 */
export function createNotificationIntake({ subscriptions, inbox, jobs }: NotificationIntakeDeps): NotificationIntake {
  const distinct = (values: string[]): string[] => [...new Set(values)]
  const lookUp = coalesce(async (idLists: string[][]) => subscriptions.ownersOf(idLists.flat()))
  const write = coalesce(async (userLists: string[][]) => {
    if (await inbox.add(distinct(userLists.flat()))) await jobs.drainInbox()
  })
  return {
    async lookup(ids) {
      const found = await lookUp(ids)
      // The run's answer covers every caller's ids: each route sees its own only.
      const mine = new Map<string, { mmUserId: string; clientState: string }>()
      for (const id of ids) {
        const owner = found.get(id)
        if (owner) mine.set(id, owner)
      }
      return mine
    },
    async notified(mmUserIds) {
      if (mmUserIds.length > 0) await write(mmUserIds)
    },
    async lifecycle(events) {
      const ofKind = (...kinds: string[]) => events.filter((e) => kinds.includes(e.event))
      const removed = distinct(ofKind('subscriptionRemoved').map((e) => e.mmUserId))
      const reauthorize = distinct(ofKind('reauthorizationRequired').map((e) => e.subscriptionId))
      const resync = ofKind('missed', 'subscriptionRemoved').map((e) => e.mmUserId)
      if (removed.length > 0) await jobs.subscriptionWork({ reason: 'removed', mmUserIds: removed })
      if (reauthorize.length > 0) await jobs.subscriptionWork({ reason: 'reauthorize', subscriptionIds: reauthorize })
      if (resync.length > 0) await jobs.syncUsers(resync, 'lifecycle')
    }
  }
}
