import type { Queues } from './create-queues'
import type { SubscriptionStore } from '../store/subscription-store'
import { enqueueSubscriptionWork, enqueueUserSyncs } from './enqueue-jobs'

export interface NotificationIntake {
  lookup(subscriptionIds: string[]): Promise<Map<string, { mmUserId: string; clientState: string }>>
  syncUsers(mmUserIds: string[], reason: string): Promise<void>
  lifecycle(events: Array<{ event: string; subscriptionId: string; mmUserId: string }>): Promise<void>
}

/**
 * What the web process does with authentic notifications: turn them into jobs. Lifecycle
 * events (graph.md): `missed` resyncs the user; `subscriptionRemoved` gets a new subscription
 * and resyncs (changes may have been lost meanwhile); `reauthorizationRequired` renews.
 */
export function createNotificationIntake(queues: Queues, subscriptions: SubscriptionStore): NotificationIntake {
  return {
    async lookup(ids) {
      const found = await subscriptions.getMany(ids)
      return new Map([...found].map(([id, s]) => [id, { mmUserId: s.mmUserId, clientState: s.clientState }]))
    },
    async syncUsers(mmUserIds, reason) {
      await enqueueUserSyncs(queues.sync, mmUserIds, reason)
    },
    async lifecycle(events) {
      const resync = events.filter((e) => e.event === 'missed' || e.event === 'subscriptionRemoved').map((e) => e.mmUserId)
      const removed = events.filter((e) => e.event === 'subscriptionRemoved').map((e) => e.mmUserId)
      const reauthorize = events.filter((e) => e.event === 'reauthorizationRequired').map((e) => e.subscriptionId)
      if (removed.length > 0) await enqueueSubscriptionWork(queues.maintenance, { reason: 'removed', mmUserIds: [...new Set(removed)] })
      if (reauthorize.length > 0) await enqueueSubscriptionWork(queues.maintenance, { reason: 'reauthorize', subscriptionIds: [...new Set(reauthorize)] })
      if (resync.length > 0) await enqueueUserSyncs(queues.sync, resync, 'lifecycle')
    }
  }
}
