// What the simulator counts, for tests and benchmarks (sim.counters(), sim.resetCounters()).

export interface GraphSimCounters {
  /** Outer HTTP requests by route template, e.g. 'POST /v1.0/$batch'. */
  requestsByRoute: Record<string, number>
  /** Requests inside batches by route template, e.g. 'POST /v1.0/users/{id}/calendar/getSchedule'. */
  innerRequestsByRoute: Record<string, number>
  batches: number
  /** Most $batch requests being answered at the same moment (how many a client has in flight). */
  maxBatchesInFlight: number
  innerRequests: number
  /** getSchedule requests received (outer or inner, throttled ones included). */
  getScheduleCalls: number
  /** Addresses in getSchedule requests answered 200. */
  schedulesAsked: number
  /** Distinct path mailboxes seen in /users/{x}/... requests. */
  distinctPathMailboxes: number
  /** 429s sent (outer or inner). */
  throttled: number
  /** 429s by reason: share, early-retry, concurrency, window. */
  throttledByReason: Record<string, number>
  /** Requests that came back before the Retry-After of an earlier 429 (mailbox or same request). */
  earlyRetries: number
  maxConcurrentPerMailbox: number
  /** 401s for a missing, unknown, expired or revoked token. */
  tokenRejections: number
  /** Requests answered with the injected outage's 5xx (driver.setOutage). */
  outageAnswers: number
  subscriptionsCreated: number
  validationRequests: number
  validationFailures: number
  /** Notification items in POSTs answered 2xx. */
  notificationsDelivered: number
  /** Items dropped by the drop share or the slow-endpoint policy. */
  notificationsDropped: number
  notificationsDuplicated: number
  /** Notification and lifecycle POSTs, retries included. */
  deliveryPosts: number
  /** POSTs answered 5xx or failing (timeout, refused). */
  deliveryFailures: number
  /** POSTs answered after deliveryTimeoutMs. */
  slowDeliveries: number
  lifecycleEvents: number
}

export interface Stats {
  c: GraphSimCounters
  mailboxes: Set<string>
  /** $batch requests being answered now (not a counter: a reset keeps it) */
  batchesInFlight: number
  route(key: string, inner: boolean): void
  throttled(reason: string): void
  pathMailbox(key: string): void
  snapshot(): GraphSimCounters
  reset(): void
}

function fresh(): GraphSimCounters {
  return {
    requestsByRoute: {},
    innerRequestsByRoute: {},
    batches: 0,
    maxBatchesInFlight: 0,
    innerRequests: 0,
    getScheduleCalls: 0,
    schedulesAsked: 0,
    distinctPathMailboxes: 0,
    throttled: 0,
    throttledByReason: {},
    earlyRetries: 0,
    maxConcurrentPerMailbox: 0,
    tokenRejections: 0,
    outageAnswers: 0,
    subscriptionsCreated: 0,
    validationRequests: 0,
    validationFailures: 0,
    notificationsDelivered: 0,
    notificationsDropped: 0,
    notificationsDuplicated: 0,
    deliveryPosts: 0,
    deliveryFailures: 0,
    slowDeliveries: 0,
    lifecycleEvents: 0
  }
}

export function createStats(): Stats {
  const s: Stats = {
    c: fresh(),
    mailboxes: new Set(),
    batchesInFlight: 0,
    route(key, inner) {
      const map = inner ? s.c.innerRequestsByRoute : s.c.requestsByRoute
      map[key] = (map[key] ?? 0) + 1
    },
    throttled(reason) {
      s.c.throttled += 1
      s.c.throttledByReason[reason] = (s.c.throttledByReason[reason] ?? 0) + 1
    },
    pathMailbox(key) {
      s.mailboxes.add(key)
      s.c.distinctPathMailboxes = s.mailboxes.size
    },
    snapshot: () => structuredClone(s.c),
    reset() {
      s.c = fresh()
      s.mailboxes.clear()
    }
  }
  return s
}
