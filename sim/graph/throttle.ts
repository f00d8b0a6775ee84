import type { Stats } from './counters'

// Outlook's throttling per app and mailbox (docs/graph.md#throttling): 4 concurrent requests,
// 10,000 per sliding 10 minutes (throttled ones count too), Retry-After on every 429, and a
// mailbox that was just throttled stays throttled until its Retry-After has passed.
// Real time (not the simulator's clock): this is about how the client paces itself.

export interface ThrottleSettings {
  /** Requests in flight per app and path mailbox; the next one is a 429 (default 4). */
  mailboxConcurrency: number
  /** Requests per app and path mailbox per sliding 10 minutes (default 10,000). */
  mailboxRequestsPer10Min: number
  /** Retry-After on every 429, in seconds (default 2). */
  retryAfterSeconds: number
  /** The same limits for routes without a path mailbox (per app); default: the mailbox ones. */
  appConcurrency?: number
  appRequestsPer10Min?: number
  /**
   * The subscription service's limit on POST, PATCH and DELETE of subscriptions per app and tenant
   * per sliding 20 s (docs/graph.md#creating-subscriptions-at-scale): 500, the harsher of the
   * published versions (others say 1,000). Throttled requests count too.
   */
  subscriptionWritesPer20s: number
  /** The window of that limit (default 20,000 ms; tests scale time with a shorter one). */
  subscriptionWritesWindowMs?: number
}

export const DEFAULT_THROTTLE: ThrottleSettings = {
  mailboxConcurrency: 4,
  mailboxRequestsPer10Min: 10_000,
  retryAfterSeconds: 2,
  subscriptionWritesPer20s: 500
}

export interface ThrottleTarget {
  scope: 'mailbox' | 'app'
  /** app + mailbox (or app alone) */
  key: string
  /** method + url + sorted schedules: the "same request" when it comes back */
  identity: string
  /** whether the injected throttle share applies (getSchedule and users requests) */
  shareApplies: boolean
  /** a POST, PATCH or DELETE of a subscription: also counts against the app's subscription-write budget */
  subscriptionWrite?: { appKey: string }
}

export type Admission = { ok: true; release(): void } | { ok: false; retryAfterSeconds: number; code: string; message: string; reason: Reason }

type Reason = 'share' | 'early-retry' | 'concurrency' | 'window' | 'subscription-writes'

const WINDOW_MS = 10 * 60_000
const SUBSCRIPTION_WINDOW_MS = 20_000

export interface Throttle {
  admit(t: ThrottleTarget): Admission
  setShare(share: number): void
  share(): number
  settings: ThrottleSettings
}

export function createThrottle(opts: { settings: ThrottleSettings; random: () => number; stats: Stats; clock?: () => number }): Throttle {
  const clock = opts.clock ?? Date.now
  const settings = opts.settings
  const inflight = new Map<string, number>()
  const windows = new Map<string, number[]>()
  const blockedKeys = new Map<string, { until: number; code: string; message: string }>()
  const blockedIdentities = new Map<string, { until: number; code: string; message: string }>()
  let share = 0

  const prune = (m: Map<string, { until: number }>, now: number): void => {
    if (m.size < 5000) return
    for (const [k, v] of m) if (v.until <= now) m.delete(k)
  }

  const deny = (t: ThrottleTarget, now: number, reason: Reason, code: string, message: string): Admission => {
    const retryAfterSeconds = settings.retryAfterSeconds
    const until = now + retryAfterSeconds * 1000
    blockedKeys.set(t.key, { until, code, message })
    blockedIdentities.set(t.identity, { until, code, message })
    prune(blockedKeys, now)
    prune(blockedIdentities, now)
    opts.stats.throttled(reason)
    return { ok: false, retryAfterSeconds, code, message, reason }
  }

  return {
    settings,
    setShare(s) {
      if (!(s >= 0 && s <= 1)) throw new Error(`throttle share must be within 0..1, got ${s}`)
      share = s
    },
    share: () => share,
    admit(t) {
      const now = clock()
      const limitPer10 = t.scope === 'mailbox' ? settings.mailboxRequestsPer10Min : (settings.appRequestsPer10Min ?? settings.mailboxRequestsPer10Min)
      const concurrency = t.scope === 'mailbox' ? settings.mailboxConcurrency : (settings.appConcurrency ?? settings.mailboxConcurrency)

      // Every request counts against the 10-minute budget, the throttled ones too.
      let times = windows.get(t.key)
      if (!times) windows.set(t.key, (times = []))
      while (times.length > 0 && times[0]! <= now - WINDOW_MS) times.shift()
      times.push(now)

      let writes: number[] | undefined
      if (t.subscriptionWrite) {
        const k = `${t.subscriptionWrite.appKey}|subscription-writes`
        writes = windows.get(k)
        if (!writes) windows.set(k, (writes = []))
        while (writes.length > 0 && writes[0]! <= now - (settings.subscriptionWritesWindowMs ?? SUBSCRIPTION_WINDOW_MS)) writes.shift()
        writes.push(now)
      }

      const byKey = blockedKeys.get(t.key)
      const byIdentity = blockedIdentities.get(t.identity)
      const early = [byKey, byIdentity].find((b) => b !== undefined && b.until > now)
      if (early) {
        opts.stats.c.earlyRetries += 1
        return deny(t, now, 'early-retry', early.code, early.message)
      }
      if (t.shareApplies && share > 0 && opts.random() < share) {
        return deny(t, now, 'share', 'TooManyRequests', 'Too many requests, please try again later.')
      }
      const running = inflight.get(t.key) ?? 0
      if (running >= concurrency) {
        return deny(t, now, 'concurrency', 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.')
      }
      if (times.length > limitPer10) {
        return deny(t, now, 'window', 'ApplicationThrottled', 'Application is over its MailboxRequestsPer10Minutes limit.')
      }
      if (writes && writes.length > settings.subscriptionWritesPer20s) {
        // The app's budget, not this mailbox's: other subscriptions are not blocked by it beyond the window itself.
        opts.stats.throttled('subscription-writes')
        // Retry-After: until the oldest write of the window leaves it (whole seconds, at least 1).
        const windowMs = settings.subscriptionWritesWindowMs ?? SUBSCRIPTION_WINDOW_MS
        const retryAfterSeconds = Math.max(1, Math.ceil((writes[0]! + windowMs - now) / 1000))
        return { ok: false, retryAfterSeconds, code: 'TooManyRequests', message: 'Too many requests.', reason: 'subscription-writes' }
      }
      inflight.set(t.key, running + 1)
      if (t.scope === 'mailbox' && running + 1 > opts.stats.c.maxConcurrentPerMailbox) opts.stats.c.maxConcurrentPerMailbox = running + 1
      let released = false
      return {
        ok: true,
        release() {
          if (released) return
          released = true
          const n = (inflight.get(t.key) ?? 1) - 1
          if (n <= 0) inflight.delete(t.key)
          else inflight.set(t.key, n)
        }
      }
    }
  }
}
