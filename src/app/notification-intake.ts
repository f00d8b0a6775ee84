import type { SubscriptionStore } from '../store/subscription-store'
import type { JobQueue } from './job-queue'

/** What the web process does with authentic Graph notifications: it turns them into jobs. */
export interface NotificationIntake {
  /** The subscriptions we hold, by id: whose they are and their secret. */
  lookup(subscriptionIds: string[]): Promise<Map<string, { mmUserId: string; clientState: string }>>
  /** Calendars changed: one debounced sync per user. */
  syncUsers(mmUserIds: string[], reason: string): Promise<void>
  lifecycle(events: Array<{ event: string; subscriptionId: string; mmUserId: string }>): Promise<void>
}

export interface NotificationIntakeDeps {
  subscriptions: Pick<SubscriptionStore, 'getMany'>
  jobs: Pick<JobQueue, 'syncUsers' | 'subscriptionWork'>
}

/**
 * Lifecycle events (docs/graph.md#lifecycle-events): `missed` resyncs the user;
 * `subscriptionRemoved` gets a new subscription and resyncs (changes may have been lost
 * meanwhile); `reauthorizationRequired` renews.
 */
export function createNotificationIntake({ subscriptions, jobs }: NotificationIntakeDeps): NotificationIntake {
  const distinct = (values: string[]): string[] => [...new Set(values)]
  return {
    async lookup(ids) {
      const found = await subscriptions.getMany(ids)
      return new Map([...found].map(([id, s]) => [id, { mmUserId: s.mmUserId, clientState: s.clientState }]))
    },
    async syncUsers(mmUserIds, reason) {
      await jobs.syncUsers(mmUserIds, reason)
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
