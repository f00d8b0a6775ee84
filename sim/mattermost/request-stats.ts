// Counters for assertions and benchmarks: requests by route, 429s sent, and the highest number
// of requests that arrived within any 1-second window (a client-side rate ceiling must keep
// this at or under what it promises).

export interface SimCounters {
  /** key: "METHOD /api/v4/route/{template}" */
  requests: Record<string, number>
  total: number
  /** 429s sent, by the rate limiter or injected */
  throttled: number
  /** injected 5xx and connection resets */
  injectedFailures: number
  maxRequestsPerSecond: number
  /**
   * The same over any 5-second window, divided by 5: a rate that a moment of event-loop lag (in
   * the client or in this simulator, which counts requests when it handles them) cannot inflate.
   */
  maxRequestsPerSecondOver5s: number
  contractViolations: number
}

export interface RequestStats {
  record(routeKey: string, nowMs?: number): void
  throttled(): void
  injectedFailure(): void
  contractViolation(): void
  snapshot(): SimCounters
  reset(): void
}

export function createRequestStats(): RequestStats {
  let counters = empty()
  /** arrival times inside the current sliding 1 s and 5 s windows */
  let window: number[] = []
  let window5: number[] = []

  function empty(): SimCounters {
    return { requests: {}, total: 0, throttled: 0, injectedFailures: 0, maxRequestsPerSecond: 0, maxRequestsPerSecondOver5s: 0, contractViolations: 0 }
  }

  return {
    record(routeKey, nowMs = performance.now()) {
      counters.requests[routeKey] = (counters.requests[routeKey] ?? 0) + 1
      counters.total += 1
      window.push(nowMs)
      let drop = 0
      while (drop < window.length && (window[drop] as number) <= nowMs - 1000) drop++
      if (drop > 0) window = window.slice(drop)
      if (window.length > counters.maxRequestsPerSecond) counters.maxRequestsPerSecond = window.length
      window5.push(nowMs)
      let drop5 = 0
      while (drop5 < window5.length && (window5[drop5] as number) <= nowMs - 5000) drop5++
      if (drop5 > 0) window5 = window5.slice(drop5)
      if (window5.length / 5 > counters.maxRequestsPerSecondOver5s) counters.maxRequestsPerSecondOver5s = window5.length / 5
    },
    throttled() {
      counters.throttled += 1
    },
    injectedFailure() {
      counters.injectedFailures += 1
    },
    contractViolation() {
      counters.contractViolations += 1
    },
    snapshot() {
      return { ...counters, requests: { ...counters.requests } }
    },
    reset() {
      counters = empty()
      window = []
      window5 = []
    }
  }
}
