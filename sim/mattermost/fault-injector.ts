// Injected failures for the next N matching requests. A failure can be "not applied" (the
// request never reached the handler: what a 429 or a 503 from Mattermost means) or "applied"
// (the handler ran and changed state, then the answer was lost: a 502/504 from a proxy after
// the upstream did the work, or a connection reset). The second kind is what makes a blind
// retry of PUT status dnd store prev_status = dnd, so a client must be tested against it.

export type FaultKind =
  | { status: 429; retryAfterSeconds?: number }
  | { status: 500 | 502 | 503 | 504 }
  | { reset: true }
  /**
   * The request waits this long (a stalled proxy, a locked database row), then is handled and
   * answered as usual: a client that gave up on it meanwhile sees it land late.
   */
  | { holdMs: number }

export type Fault = FaultKind & {
  /** the handler runs (and changes state) before the failure replaces the answer; default false */
  applied?: boolean
  /** only requests of this route key, e.g. "PUT /api/v4/users/{user_id}/status" */
  route?: string
}

export interface FaultInjector {
  add(count: number, fault: Fault): void
  /** The fault for this request, if any, consuming one. */
  take(routeKey: string): Fault | undefined
  pending(): number
  clear(): void
}

export function createFaultInjector(): FaultInjector {
  let queue: { fault: Fault; left: number }[] = []
  return {
    add(count, fault) {
      if (count > 0) queue.push({ fault, left: count })
    },
    take(routeKey) {
      const entry = queue.find((e) => e.fault.route === undefined || e.fault.route === routeKey)
      if (!entry) return undefined
      entry.left -= 1
      if (entry.left <= 0) queue = queue.filter((e) => e !== entry)
      return entry.fault
    },
    pending() {
      return queue.reduce((n, e) => n + e.left, 0)
    },
    clear() {
      queue = []
    }
  }
}
