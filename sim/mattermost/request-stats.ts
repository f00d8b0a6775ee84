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
  /** arrival times inside the current sliding 1 s window */
  let window: number[] = []

  function empty(): SimCounters {
    return { requests: {}, total: 0, throttled: 0, injectedFailures: 0, maxRequestsPerSecond: 0, contractViolations: 0 }
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
    }
  }
}
