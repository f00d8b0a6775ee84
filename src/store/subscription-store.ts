import type { Redis } from 'ioredis'
import { redisScripts } from './redis-scripts'

// Graph change-notification subscriptions we hold: one per enrolled user. The clientState is
// the secret each notification must carry (docs/graph.md#change-notifications).

export interface StoredSubscription {
  id: string
  mmUserId: string
  graphUserId: string
  clientState: string
  /** epoch ms */
  expiresAt: number
  lastRenewedAt: number
  lastError: string | null
}

export interface SubscriptionStore {
  save(sub: StoredSubscription): Promise<void>
  get(id: string): Promise<StoredSubscription | null>
  getMany(ids: string[]): Promise<Map<string, StoredSubscription>>
  /** Whose they are and their secret, by id: all a notification needs (two fields, not the hash). */
  ownersOf(ids: string[]): Promise<Map<string, { mmUserId: string; clientState: string }>>
  byUser(mmUserId: string): Promise<StoredSubscription | null>
  remove(id: string): Promise<void>
  /** Subscriptions expiring before `epochMs`, soonest first. */
  expiringBefore(epochMs: number, limit: number): Promise<string[]>
  setError(id: string, error: string | null): Promise<void>
  count(): Promise<number>
  /** For the admin's setup check: counts by state, and one failing subscription's last error. */
  health(now: number, soonMs: number): Promise<SubscriptionHealth>
}

export interface SubscriptionHealth {
  /** not yet expired */
  active: number
  /** active, but expiring within `soonMs` */
  expiringSoon: number
  /** past their expiry: the upkeep did not renew them */
  expired: number
  /** whose last create or renewal failed */
  failing: number
  /** one of those errors, as an example */
  lastError: string | null
}

export function createSubscriptionStore(redis: Redis, prefix: string): SubscriptionStore {
  const key = (id: string): string => `${prefix}:sub:${id}`
  const byUserKey = `${prefix}:sub-by-user`
  const expiryKey = `${prefix}:sub-expiry`
  // Ids whose last error is set: counting them must not read 100,000 hashes.
  const failingKey = `${prefix}:sub-failing`
  const scripts = redisScripts(redis)

  const toSub = (h: Record<string, string>): StoredSubscription | null =>
    h['id']
      ? {
          id: h['id'],
          mmUserId: h['mmUserId'] ?? '',
          graphUserId: h['graphUserId'] ?? '',
          clientState: h['clientState'] ?? '',
          expiresAt: Number(h['expiresAt'] ?? 0),
          lastRenewedAt: Number(h['lastRenewedAt'] ?? 0),
          lastError: h['lastError'] || null
        }
      : null

  const store: SubscriptionStore = {
    async save(sub) {
      const previous = await redis.hget(byUserKey, sub.mmUserId)
      const tx = redis.multi()
      // One subscription per user: saving a new one forgets the one it replaces.
      if (previous && previous !== sub.id) {
        tx.del(key(previous))
        tx.zrem(expiryKey, previous)
      }
      tx.hset(key(sub.id), {
        id: sub.id,
        mmUserId: sub.mmUserId,
        graphUserId: sub.graphUserId,
        clientState: sub.clientState,
        expiresAt: String(sub.expiresAt),
        lastRenewedAt: String(sub.lastRenewedAt),
        lastError: sub.lastError ?? ''
      })
      tx.hset(byUserKey, sub.mmUserId, sub.id)
      tx.zadd(expiryKey, sub.expiresAt, sub.id)
      if (sub.lastError) tx.sadd(failingKey, sub.id)
      else tx.srem(failingKey, sub.id)
      if (previous && previous !== sub.id) tx.srem(failingKey, previous)
      await tx.exec()
    },
    async get(id) {
      return toSub(await redis.hgetall(key(id)))
    },
    async ownersOf(ids) {
      const unique = [...new Set(ids)]
      const pipe = redis.pipeline()
      for (const id of unique) pipe.hmget(key(id), 'mmUserId', 'clientState')
      const results = (await pipe.exec()) ?? []
      const out = new Map<string, { mmUserId: string; clientState: string }>()
      results.forEach(([err, fields], i) => {
        if (err) throw err
        const [mmUserId, clientState] = fields as [string | null, string | null]
        if (mmUserId && clientState) out.set(unique[i] as string, { mmUserId, clientState })
      })
      return out
    },
    async getMany(ids) {
      const unique = [...new Set(ids)]
      const pipe = redis.pipeline()
      for (const id of unique) pipe.hgetall(key(id))
      const results = (await pipe.exec()) ?? []
      const out = new Map<string, StoredSubscription>()
      results.forEach(([err, h], i) => {
        if (err) throw err
        const sub = toSub(h as Record<string, string>)
        if (sub) out.set(unique[i] as string, sub)
      })
      return out
    },
    async byUser(mmUserId) {
      const id = await redis.hget(byUserKey, mmUserId)
      return id ? store.get(id) : null
    },
    async remove(id) {
      const mmUserId = await redis.hget(key(id), 'mmUserId')
      const tx = redis.multi()
      tx.del(key(id))
      tx.zrem(expiryKey, id)
      tx.srem(failingKey, id)
      await tx.exec()
      // Only unlink the user if this was still their subscription.
      if (mmUserId) {
        await scripts.run('hdelIfEquals', [byUserKey], [mmUserId, id])
      }
    },
    async expiringBefore(epochMs, limit) {
      return redis.zrangebyscore(expiryKey, '-inf', epochMs, 'LIMIT', 0, limit)
    },
    async setError(id, error) {
      const set = await scripts.run('hsetIfExists', [key(id)], ['lastError', error ?? ''])
      if (error && set === 1) await redis.sadd(failingKey, id)
      else await redis.srem(failingKey, id)
    },
    async count() {
      return redis.zcard(expiryKey)
    },
    async health(now, soonMs) {
      const [active, expiringSoon, expired, failing, sample] = await Promise.all([
        redis.zcount(expiryKey, `(${now}`, '+inf'),
        redis.zcount(expiryKey, `(${now}`, now + soonMs),
        redis.zcount(expiryKey, '-inf', now),
        redis.scard(failingKey),
        redis.srandmember(failingKey)
      ])
      const lastError = sample ? await redis.hget(key(sample), 'lastError') : null
      return { active, expiringSoon, expired, failing, lastError: lastError || null }
    }
  }
  return store
}
