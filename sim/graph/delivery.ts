import type { Stats } from './counters'
import type { Outbound } from './outbound'

// Graph's side of change notifications (docs/graph.md#delivery): POSTs to the notificationUrl,
// several changes to one URL combined into one POST, retries on 5xx and failures, and the
// network's bad habits on demand (drops, duplicates, delays, reordering, a paused pipe).
// Answers slower than `slowMs` are counted; past 10% slow Graph delays, past 15% it drops
// notifications to that URL for 10 minutes (real time).

export interface NotificationItem {
  subscriptionId: string
  subscriptionExpirationDateTime: string
  changeType: string
  resource: string
  resourceData: { '@odata.type': string; '@odata.id': string; '@odata.etag'?: string; id: string }
  clientState?: string
  tenantId: string
}

export interface LifecycleItem {
  subscriptionId: string
  subscriptionExpirationDateTime: string
  tenantId: string
  clientState?: string
  lifecycleEvent: LifecycleEvent
}

export type LifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed'

export interface DeliveryRecord {
  /** Date.now() when the answer (or the failure) came */
  time: number
  url: string
  kind: 'notification' | 'lifecycle'
  items: Array<NotificationItem | LifecycleItem>
  /** 0 when there was no answer */
  status: number
  latencyMs: number
  /** 1 for the first POST of these items, 2.. for retries */
  attempt: number
  /** answered after slowMs (or not at all in time) */
  slow: boolean
  error?: string
}

/** The driver's switches (driver.setDelivery). */
export interface DeliverySwitches {
  /** share of notification items lost for good (0..1) */
  drop: number
  /** added before each POST, ms */
  delayMs: number
  /** share of notification items sent a second time, in a later POST (0..1) */
  duplicate: number
  /** shuffle the items of a POST and jitter POSTs so that later changes may arrive first */
  reorder: boolean
  /** hold notifications (not lifecycle events) until unpaused */
  paused: boolean
}

export interface SlowPolicy {
  minSamples: number
  delayShare: number
  dropShare: number
  delayMs: number
  dropMs: number
}

export interface DeliveryOptions {
  /** changes to one URL within this window go out in one POST (default 50) */
  combineWindowMs: number
  /** retries after a 5xx or a failure (default 3) */
  retries: number
  /** first retry after this, doubling (default 100) */
  retryBaseMs: number
  /** answers slower than this count as slow (deliveryTimeoutMs, default 3,000) */
  slowMs: number
  /** a POST without an answer after this is a failure (default 30,000) */
  hardTimeoutMs: number
  /** jitter for `reorder`, ms (default 100) */
  reorderJitterMs: number
  slowPolicy: SlowPolicy | false
}

export const DEFAULT_SLOW_POLICY: SlowPolicy = { minSamples: 20, delayShare: 0.1, dropShare: 0.15, delayMs: 1000, dropMs: 600_000 }

export interface Delivery {
  notify(url: string, item: NotificationItem): void
  lifecycle(url: string, item: LifecycleItem): Promise<DeliveryRecord | undefined>
  set(s: Partial<DeliverySwitches>): DeliverySwitches
  switches(): DeliverySwitches
  /** Items dropped (by the drop share or the slow policy). */
  dropped: Array<{ url: string; item: NotificationItem; reason: 'drop-share' | 'slow-endpoint' }>
  waitForDeliveries(n: number, timeoutMs?: number, filter?: (r: DeliveryRecord) => boolean): Promise<DeliveryRecord[]>
  /** Resolves when nothing is buffered, delayed or in flight (held items while paused do not count). */
  idle(timeoutMs?: number): Promise<void>
  stop(): void
}

export function createDelivery(deps: {
  outbound: Outbound
  random: () => number
  stats: Stats
  records: DeliveryRecord[]
  options: DeliveryOptions
}): Delivery {
  const { options: o, random, stats, records } = deps
  const sw: DeliverySwitches = { drop: 0, delayMs: 0, duplicate: 0, reorder: false, paused: false }
  const buffers = new Map<string, NotificationItem[]>()
  const held: Array<{ url: string; item: NotificationItem }> = []
  const timers = new Set<NodeJS.Timeout>()
  const wakeups = new Set<() => void>()
  const listeners = new Set<() => void>()
  const samples = new Map<string, Array<{ t: number; slow: boolean }>>()
  const dropUntil = new Map<string, number>()
  const delayed = new Set<string>()
  const dropped: Delivery['dropped'] = []
  let busy = 0
  let stopped = false

  const changed = (): void => {
    for (const l of [...listeners]) l()
  }
  const later = (ms: number, fn: () => void): void => {
    if (stopped) return
    busy += 1
    const t = setTimeout(
      () => {
        timers.delete(t)
        busy -= 1
        fn()
        changed()
      },
      Math.max(0, ms)
    )
    timers.add(t)
  }
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t)
        timers.delete(t)
        wakeups.delete(done)
        resolve()
      }
      const t = setTimeout(done, ms)
      timers.add(t)
      wakeups.add(done)
    })
  const shuffle = <T>(xs: T[]): T[] => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[xs[i], xs[j]] = [xs[j]!, xs[i]!]
    }
    return xs
  }

  const observe = (url: string, slow: boolean): void => {
    if (!o.slowPolicy) return
    const p = o.slowPolicy
    const now = Date.now()
    let list = samples.get(url)
    if (!list) samples.set(url, (list = []))
    list.push({ t: now, slow })
    while (list.length > 0 && list[0]!.t <= now - 600_000) list.shift()
    if (list.length < p.minSamples) return
    const share = list.filter((s) => s.slow).length / list.length
    if (share > p.dropShare) dropUntil.set(url, now + p.dropMs)
    if (share > p.delayShare) delayed.add(url)
    else delayed.delete(url)
  }

  const post = async (url: string, kind: DeliveryRecord['kind'], items: Array<NotificationItem | LifecycleItem>): Promise<DeliveryRecord | undefined> => {
    busy += 1
    try {
      let last: DeliveryRecord | undefined
      for (let attempt = 1; attempt <= o.retries + 1 && !stopped; attempt++) {
        const r = await deps.outbound.post(url, {
          body: JSON.stringify({ value: items }),
          contentType: 'application/json; charset=utf-8',
          timeoutMs: o.hardTimeoutMs
        })
        if (stopped && r.error === 'simulator stopped') return last
        const slow = r.timedOut === true || r.latencyMs > o.slowMs
        last = { time: Date.now(), url, kind, items, status: r.status, latencyMs: r.latencyMs, attempt, slow, ...(r.error ? { error: r.error } : {}) }
        records.push(last)
        stats.c.deliveryPosts += 1
        if (slow) stats.c.slowDeliveries += 1
        observe(url, slow)
        const failed = r.status === 0 || r.status >= 500
        if (failed) stats.c.deliveryFailures += 1
        if (r.status >= 200 && r.status < 300 && kind === 'notification') stats.c.notificationsDelivered += items.length
        changed()
        if (!failed) return last
        if (attempt <= o.retries) await sleep(o.retryBaseMs * 2 ** (attempt - 1))
      }
      return last
    } finally {
      busy -= 1
      changed()
    }
  }

  const flush = (url: string): void => {
    const items = buffers.get(url)
    buffers.delete(url)
    if (!items || items.length === 0) return
    if (sw.reorder) shuffle(items)
    const extra = (sw.reorder ? random() * o.reorderJitterMs : 0) + (delayed.has(url) && o.slowPolicy ? o.slowPolicy.delayMs : 0)
    const delay = sw.delayMs + extra
    if (delay > 0) later(delay, () => void post(url, 'notification', items))
    else void post(url, 'notification', items)
  }

  const buffer = (url: string, item: NotificationItem): void => {
    if (stopped) return
    if (sw.paused) {
      held.push({ url, item })
      return
    }
    let buf = buffers.get(url)
    if (!buf) {
      buffers.set(url, (buf = []))
      later(o.combineWindowMs, () => flush(url))
    }
    buf.push(item)
  }

  return {
    dropped,
    notify(url, item) {
      if (stopped) return
      const until = dropUntil.get(url)
      if (until !== undefined && until > Date.now()) {
        stats.c.notificationsDropped += 1
        dropped.push({ url, item, reason: 'slow-endpoint' })
        return
      }
      if (sw.drop > 0 && random() < sw.drop) {
        stats.c.notificationsDropped += 1
        dropped.push({ url, item, reason: 'drop-share' })
        return
      }
      buffer(url, item)
      if (sw.duplicate > 0 && random() < sw.duplicate) {
        stats.c.notificationsDuplicated += 1
        // In a later POST, as Graph's at-least-once delivery does.
        later(o.combineWindowMs + 1 + random() * o.combineWindowMs, () => buffer(url, { ...item }))
      }
    },
    lifecycle(url, item) {
      stats.c.lifecycleEvents += 1
      return post(url, 'lifecycle', [item])
    },
    set(s) {
      for (const [k, v] of Object.entries(s)) if (v === undefined) delete (s as Record<string, unknown>)[k]
      if (s.drop !== undefined && !(s.drop >= 0 && s.drop <= 1)) throw new Error('drop must be within 0..1')
      if (s.duplicate !== undefined && !(s.duplicate >= 0 && s.duplicate <= 1)) throw new Error('duplicate must be within 0..1')
      Object.assign(sw, s)
      if (!sw.paused && held.length > 0) {
        for (const h of held.splice(0)) buffer(h.url, h.item)
      }
      return { ...sw }
    },
    switches: () => ({ ...sw }),
    waitForDeliveries(n, timeoutMs = 5000, filter) {
      const matching = (): DeliveryRecord[] => (filter ? records.filter(filter) : records)
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const m = matching()
          if (m.length < n) return false
          clearTimeout(timer)
          listeners.delete(listener)
          resolve([...m])
          return true
        }
        const listener = (): void => void check()
        const timer = setTimeout(() => {
          listeners.delete(listener)
          reject(new Error(`waited ${timeoutMs} ms for ${n} deliveries, got ${matching().length}`))
        }, timeoutMs)
        listeners.add(listener)
        check()
      })
    },
    idle(timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (busy > 0 || buffers.size > 0) return false
          clearTimeout(timer)
          listeners.delete(listener)
          resolve()
          return true
        }
        const listener = (): void => void check()
        const timer = setTimeout(() => {
          listeners.delete(listener)
          reject(new Error(`delivery not idle after ${timeoutMs} ms`))
        }, timeoutMs)
        listeners.add(listener)
        check()
      })
    },
    stop() {
      stopped = true
      for (const t of timers) clearTimeout(t)
      timers.clear()
      for (const w of [...wakeups]) w()
      buffers.clear()
      held.length = 0
    }
  }
}
