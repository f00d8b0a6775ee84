// Mattermost's RateLimitSettings limiter: throttled's GCRA (generic cell rate algorithm) keyed
// by remote address (VaryByRemoteAddr, the default). With PerSec r and MaxBurst b:
// emission interval T = 1/r, tolerance = T * (b + 1), limit = b + 1. Every response carries
// X-Ratelimit-Limit/-Remaining/-Reset; a refused one also Retry-After, and the body is
// http.Error's plain text "limit exceeded\n" (docs/mattermost.md#rate-limiting).

export interface RateLimitSettings {
  perSec: number
  maxBurst: number
}

export interface RateLimitResult {
  limited: boolean
  headers: Record<string, string>
}

export interface RateLimiter {
  readonly settings: RateLimitSettings
  check(key: string, nowMs?: number): RateLimitResult
}

export function createRateLimiter(settings: RateLimitSettings): RateLimiter {
  const emissionMs = 1000 / settings.perSec
  const toleranceMs = emissionMs * (settings.maxBurst + 1)
  const limit = settings.maxBurst + 1
  /** theoretical arrival time per key */
  const tats = new Map<string, number>()

  return {
    settings,
    check(key, nowMs = Date.now()) {
      const tat = Math.max(tats.get(key) ?? nowMs, nowMs)
      const newTat = tat + emissionMs
      const allowAt = newTat - toleranceMs
      let limited = false
      let ttl: number
      let retryAfter = -1
      if (nowMs < allowAt) {
        limited = true
        retryAfter = allowAt - nowMs
        ttl = tat - nowMs
      } else {
        ttl = newTat - nowMs
        tats.set(key, newTat)
      }
      const next = toleranceMs - ttl
      const remaining = next > -emissionMs ? Math.floor(next / emissionMs) : 0
      const headers: Record<string, string> = {
        'X-Ratelimit-Limit': String(limit),
        'X-Ratelimit-Remaining': String(Math.max(0, remaining)),
        'X-Ratelimit-Reset': String(Math.ceil(ttl / 1000))
      }
      if (retryAfter >= 0) headers['Retry-After'] = String(Math.ceil(retryAfter / 1000))
      return { limited, headers }
    }
  }
}
