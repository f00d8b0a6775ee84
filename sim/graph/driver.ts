import type { DeliveryRecord, Delivery, DeliverySwitches, LifecycleEvent, NotificationItem } from './delivery'
import { graphInstant } from './ids'
import type { Latency } from './api'
import type { SimSubscription, Subscriptions } from './subscriptions'
import type { EventChange, EventPatch, GraphUser, NewEvent, NewGraphUser, SimEvent, Tenant } from './tenant'
import type { Throttle, ThrottleSettings } from './throttle'

// The in-process driver (sim.driver): the tenant's users and calendars, the network's
// behaviour, and Graph's side of subscriptions (lifecycle events).

export interface GraphSimDriver {
  addUser(u?: NewGraphUser): GraphUser
  /** Removes the user and calendar; their subscriptions get `subscriptionRemoved` and go. */
  removeUser(ref: string): Promise<GraphUser>
  updateUser(ref: string, patch: Partial<Omit<GraphUser, 'id'>>): GraphUser
  /** by id, mail or UPN (case-insensitive) */
  user(ref: string): GraphUser | undefined
  users(): GraphUser[]
  /** Every change notifies the subscriptions on that user's events. */
  addEvent(ref: string, ev: NewEvent): SimEvent
  updateEvent(ref: string, eventId: string, patch: EventPatch): SimEvent
  deleteEvent(ref: string, eventId: string): SimEvent
  listEvents(ref: string): SimEvent[]
  /** That share (0..1) of getSchedule and users requests get a 429 regardless. */
  setThrottleShare(share: number): void
  setThrottle(patch: Partial<ThrottleSettings>): ThrottleSettings
  setLatency(patch: Partial<Latency>): Latency
  setDelivery(patch: Partial<DeliverySwitches>): DeliverySwitches
  /**
   * Graph is down: every /v1.0 request is answered `status` (default 503 ServiceUnavailable,
   * with `Retry-After` when given) until `setOutage(null)`. Notification delivery goes on.
   */
  setOutage(outage: Partial<Outage> | null): void
  /** POSTs the lifecycle event to the subscription's lifecycleNotificationUrl (none: nothing sent). */
  sendLifecycle(subscriptionId: string, event: LifecycleEvent): Promise<DeliveryRecord | undefined>
  /** live subscriptions of every app */
  subscriptions(): SimSubscription[]
  subscription(id: string): SimSubscription | undefined
  /** Expire it now (gone at once, no notification). */
  expireSubscription(id: string): void
  /** Resolves with the delivery records once at least n match (all POSTs, retries included). */
  waitForDeliveries(n: number, timeoutMs?: number, filter?: (r: DeliveryRecord) => boolean): Promise<DeliveryRecord[]>
  /** Resolves once n notification items were delivered with a 2xx answer. */
  waitForNotifications(n: number, timeoutMs?: number): Promise<NotificationItem[]>
  /** Nothing buffered, delayed or in flight. */
  deliveryIdle(timeoutMs?: number): Promise<void>
}

export interface Outage {
  status: number
  retryAfterSeconds?: number
}

export function createChangeHandler(deps: {
  subscriptions: () => Subscriptions
  delivery: () => Delivery
  tenantId: string
  changes: Array<EventChange & { time: number }>
  now: () => number
}) {
  return (c: EventChange): void => {
    deps.changes.push({ ...c, time: deps.now() })
    for (const s of deps.subscriptions().forUser(c.userId)) {
      if (!s.changeTypes.includes(c.changeType)) continue
      const resource = `Users/${s.userId}/Events/${c.eventId}`
      const item: NotificationItem = {
        subscriptionId: s.id,
        subscriptionExpirationDateTime: graphInstant(s.expiresAt).replace(/Z$/, '+00:00'),
        changeType: c.changeType,
        resource,
        resourceData: {
          '@odata.type': '#Microsoft.Graph.Event',
          '@odata.id': resource,
          '@odata.etag': `W/"${Buffer.from(String(deps.now())).toString('base64')}"`,
          id: c.eventId
        },
        ...(s.clientState !== null ? { clientState: s.clientState } : {}),
        tenantId: deps.tenantId
      }
      deps.delivery().notify(s.notificationUrl, item)
    }
  }
}

export function createDriver(deps: {
  tenant: Tenant
  subscriptions: Subscriptions
  delivery: Delivery
  throttle: Throttle
  latency: Latency
  tenantId: string
  now: () => number
  records: DeliveryRecord[]
  outage: { current: Outage | null }
}): GraphSimDriver {
  const { tenant, subscriptions, delivery } = deps

  const sendLifecycle = async (id: string, event: LifecycleEvent): Promise<DeliveryRecord | undefined> => {
    const s = subscriptions.find(id)
    if (!s) throw new Error(`no live subscription ${id}`)
    if (event === 'subscriptionRemoved') subscriptions.remove(s.id)
    if (!s.lifecycleNotificationUrl) return undefined
    return delivery.lifecycle(s.lifecycleNotificationUrl, {
      subscriptionId: s.id,
      subscriptionExpirationDateTime: graphInstant(s.expiresAt).replace(/Z$/, '+00:00'),
      tenantId: s.tenantId,
      ...(s.clientState !== null ? { clientState: s.clientState } : {}),
      lifecycleEvent: event
    })
  }

  return {
    addUser: (u) => tenant.addUser(u),
    async removeUser(ref) {
      const u = tenant.removeUser(ref)
      await Promise.all(
        subscriptions
          .all()
          .filter((s) => s.userId === u.id)
          .map((s) => sendLifecycle(s.id, 'subscriptionRemoved'))
      )
      return u
    },
    updateUser: (ref, patch) => tenant.updateUser(ref, patch),
    user: (ref) => tenant.findUser(ref),
    users: () => tenant.users(),
    addEvent: (ref, ev) => tenant.addEvent(ref, ev),
    updateEvent: (ref, id, patch) => tenant.updateEvent(ref, id, patch),
    deleteEvent: (ref, id) => tenant.deleteEvent(ref, id),
    listEvents: (ref) => tenant.listEvents(ref),
    setThrottleShare: (share) => deps.throttle.setShare(share),
    setThrottle(patch) {
      Object.assign(deps.throttle.settings, patch)
      return { ...deps.throttle.settings }
    },
    setLatency(patch) {
      Object.assign(deps.latency, patch)
      return { ...deps.latency }
    },
    setDelivery: (patch) => delivery.set(patch),
    setOutage(outage) {
      if (outage === null) {
        deps.outage.current = null
        return
      }
      const status = outage.status ?? 503
      if (!Number.isInteger(status) || status < 500 || status > 599) throw new Error(`an outage answers 5xx, got ${status}`)
      deps.outage.current = { status, ...(outage.retryAfterSeconds !== undefined ? { retryAfterSeconds: outage.retryAfterSeconds } : {}) }
    },
    sendLifecycle,
    subscriptions: () => subscriptions.all().map((s) => ({ ...s })),
    subscription(id) {
      const s = subscriptions.find(id)
      return s ? { ...s } : undefined
    },
    expireSubscription(id) {
      subscriptions.setExpiry(id, deps.now() - 1)
    },
    waitForDeliveries: (n, timeoutMs, filter) => delivery.waitForDeliveries(n, timeoutMs, filter),
    async waitForNotifications(n, timeoutMs = 5000) {
      const delivered = (r: DeliveryRecord): boolean => r.kind === 'notification' && r.status >= 200 && r.status < 300
      const count = (): number => deps.records.filter(delivered).reduce((a, r) => a + r.items.length, 0)
      const started = Date.now()
      // Records arrive one POST at a time: wait for POSTs until the items add up.
      for (let posts = deps.records.filter(delivered).length + 1; count() < n; posts++) {
        const left = timeoutMs - (Date.now() - started)
        if (left <= 0) break
        await delivery.waitForDeliveries(posts, left, delivered).catch(() => undefined)
      }
      if (count() < n) throw new Error(`waited ${timeoutMs} ms for ${n} delivered notifications, got ${count()}`)
      return deps.records.filter(delivered).flatMap((r) => r.items as NotificationItem[])
    },
    deliveryIdle: (timeoutMs) => delivery.idle(timeoutMs)
  }
}
