import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { queueIndexPerson, queueUnindexPerson } from './people-index'
import { redisScripts } from './redis-scripts'

// Per-user state in Redis (docs/architecture.md#one-user-one-writer).
// One hash per user; indexes: the enrolled set, Graph id -> Mattermost id, and the admin page's
// people index (src/store/people-index.ts), each kept in step in the same pipeline or MULTI.
//
// Two guards keep a shard and a sync-user for the same user, on two workers, from fighting:
// - a short lease per user while a job evaluates and writes, so two jobs never write at once;
// - the schedule fetch time of the view the decision was made on: a decision made on a view
//   older than the one already applied is dropped, never applied (compare-and-set in Lua).

export type MailboxState = 'pending' | 'ok' | 'unknown' | 'rest-disabled'

export interface UserRecord<R = unknown, S = unknown> {
  mmUserId: string
  email: string
  username: string
  graphUserId: string | null
  timeZone: string
  /** Mattermost's locale of the user ('' when unknown) */
  locale: string
  isSystemAdmin: boolean
  mailbox: MailboxState
  /** the user's own overrides of the admin defaults */
  settings: S | null
  /** what the rule engine remembers about the current block */
  remembered: R | null
  /** fetch time (ms) of the schedule the last applied decision was made on */
  appliedViewAt: number
  /** bumped by every commit: a decision made on this record may commit only while it holds */
  rev: number
  lastSyncAt: number
  lastError: string | null
  /** the reason codes of the last decision committed (docs/status-rules.md#reason-codes); [] before the first */
  lastReasons: string[]
  /** the person's answer to "Ask first" for one block (docs/status-rules.md#confirm) */
  answer: ConfirmAnswer | null
}

export interface ConfirmAnswer {
  blockStart: number
  choice: 'yes' | 'no'
}

export interface DirectoryEntry {
  mmUserId: string
  email: string
  username: string
  timeZone: string
  locale?: string
  isSystemAdmin: boolean
}

export interface Lease {
  userId: string
  token: string
}

export type CommitResult = 'committed' | 'stale-view' | 'lease-lost'

/**
 * A commit without a lease, for decisions that write nothing to Mattermost (nearly every user
 * in a sweep): it lands only if no job holds the user ('busy') and no commit happened since the
 * record was read ('changed'); otherwise the caller takes the leased path.
 */
export type UnchangedCommitResult = 'committed' | 'stale-view' | 'busy' | 'changed' | 'gone'

export interface StateUpdate<R> {
  viewAt: number
  remembered: R | null
  lastSyncAt: number
  lastError: string | null
  /** the decision's reason codes, kept for the admin page (one more field in the same HSET) */
  reasons?: string[]
}

export interface UserStore<R = unknown, S = unknown> {
  upsertFromDirectory(entries: DirectoryEntry[]): Promise<void>
  setGraphIdentity(mmUserId: string, graphUserId: string | null, mailbox: MailboxState): Promise<void>
  /** Many at once: two round trips however many users (enrolment of a big site). */
  setGraphIdentities(entries: Array<{ mmUserId: string; graphUserId: string | null; mailbox: MailboxState }>): Promise<void>
  /** Drop a user who left: state, indexes; returns whether they were known. */
  remove(mmUserId: string): Promise<boolean>
  get(mmUserId: string): Promise<UserRecord<R, S> | null>
  getMany(mmUserIds: string[]): Promise<Map<string, UserRecord<R, S>>>
  enrolledIds(): Promise<string[]>
  mmIdForGraphId(graphUserId: string): Promise<string | null>
  setSettings(mmUserId: string, settings: S | null): Promise<void>
  /** Record the person's answer to a confirmation; only for a user still known. */
  setAnswer(mmUserId: string, answer: ConfirmAnswer): Promise<boolean>
  /** Take the user's lease for `ttlMs`; null when another job holds it. */
  lease(mmUserId: string, ttlMs: number): Promise<Lease | null>
  release(lease: Lease): Promise<void>
  /** Extend the lease to `ttlMs` from now if it is still ours; false when it was lost. */
  renew(lease: Lease, ttlMs: number): Promise<boolean>
  /** How long another job's lease on the user still runs (ms); 0 when none. */
  leaseRemainingMs(mmUserId: string): Promise<number>
  /** Save a decision's remembered state if the lease is still ours and the view is not older. */
  commit(lease: Lease, update: StateUpdate<R>): Promise<CommitResult>
  /** Many lease-free commits in one round trip, each against the `rev` its decision was made on. */
  commitUnchanged(updates: Array<StateUpdate<R> & { mmUserId: string; rev: number }>): Promise<UnchangedCommitResult[]>
  /** Record a failed sync without touching what is remembered. */
  recordError(mmUserId: string, error: string, at: number): Promise<void>
  /** The user's own choice about being synced: SYNC_USERS=all honours opt-out, opt-in needs opt-in. */
  setChoice(mmUserId: string, choice: 'in' | 'out' | null): Promise<void>
  choices(): Promise<{ optedIn: Set<string>; optedOut: Set<string> }>
  /** One person's choice, without reading everyone's (a command, a single enrolment). */
  choiceOf(mmUserId: string): Promise<'in' | 'out' | null>
  /** When the user's Graph identity was last looked up (ms), to re-check unknown mailboxes daily. */
  resolvedAt(mmUserIds: string[]): Promise<Map<string, number>>
}

function parseJson<T>(raw: string | undefined): T | null {
  if (raw === undefined || raw === '' || raw === 'null') return null
  try {
    return JSON.parse(raw) as T
  } catch {
    return null
  }
}

/** The `lastReasons` field: JSON, '' when the caller gave none (read back as []). */
const reasonsField = (update: { reasons?: string[] }): string => (update.reasons ? JSON.stringify(update.reasons) : '')

export function createUserStore<R = unknown, S = unknown>(redis: Redis, prefix: string): UserStore<R, S> {
  const userKey = (id: string): string => `${prefix}:user:${id}`
  const leaseKey = (id: string): string => `${prefix}:lease:${id}`
  const enrolledKey = `${prefix}:enrolled`
  const graphIndexKey = `${prefix}:graph-to-mm`
  const optInKey = `${prefix}:opted-in`
  const optOutKey = `${prefix}:opted-out`
  const scripts = redisScripts(redis)

  const toRecord = (h: Record<string, string>): UserRecord<R, S> | null => {
    if (!h['mmUserId']) return null
    return {
      mmUserId: h['mmUserId'],
      email: h['email'] ?? '',
      username: h['username'] ?? '',
      graphUserId: h['graphUserId'] || null,
      timeZone: h['timeZone'] || 'UTC',
      locale: h['locale'] ?? '',
      isSystemAdmin: h['isSystemAdmin'] === '1',
      mailbox: (h['mailbox'] as MailboxState) || 'pending',
      settings: parseJson<S>(h['settings']),
      remembered: parseJson<R>(h['remembered']),
      appliedViewAt: Number(h['appliedViewAt'] ?? 0),
      rev: Number(h['rev'] ?? 0),
      lastSyncAt: Number(h['lastSyncAt'] ?? 0),
      lastError: h['lastError'] || null,
      lastReasons: parseJson<string[]>(h['lastReasons']) ?? [],
      answer: parseJson<ConfirmAnswer>(h['answer'])
    }
  }

  const setGraphIdentities: UserStore<R, S>['setGraphIdentities'] = async (entries) => {
    if (entries.length === 0) return
    const read = redis.pipeline()
    for (const e of entries) read.hget(userKey(e.mmUserId), 'graphUserId')
    const olds = (await read.exec()) ?? []
    const at = String(Date.now())
    const tx = redis.multi()
    entries.forEach(({ mmUserId, graphUserId, mailbox }, i) => {
      const old = olds[i]?.[1] as string | null | undefined
      if (old && old !== graphUserId) tx.hdel(graphIndexKey, old)
      tx.hset(userKey(mmUserId), { graphUserId: graphUserId ?? '', mailbox, resolvedAt: at })
      if (graphUserId) tx.hset(graphIndexKey, graphUserId, mmUserId)
    })
    await tx.exec()
  }

  return {
    async upsertFromDirectory(entries) {
      const pipe = redis.pipeline()
      for (const e of entries) {
        pipe.hset(userKey(e.mmUserId), {
          mmUserId: e.mmUserId,
          email: e.email.toLowerCase(),
          username: e.username,
          timeZone: e.timeZone,
          locale: e.locale ?? '',
          isSystemAdmin: e.isSystemAdmin ? '1' : '0'
        })
        pipe.sadd(enrolledKey, e.mmUserId)
        queueIndexPerson(pipe, scripts, prefix, { mmUserId: e.mmUserId, username: e.username, email: e.email.toLowerCase() })
      }
      await pipe.exec()
    },
    async setGraphIdentity(mmUserId, graphUserId, mailbox) {
      await setGraphIdentities([{ mmUserId, graphUserId, mailbox }])
    },
    setGraphIdentities,
    async remove(mmUserId) {
      const graphUserId = await redis.hget(userKey(mmUserId), 'graphUserId')
      const pipe = redis.multi()
      pipe.srem(enrolledKey, mmUserId)
      queueUnindexPerson(pipe, scripts, prefix, mmUserId)
      pipe.del(userKey(mmUserId))
      if (graphUserId) pipe.hdel(graphIndexKey, graphUserId)
      const results = await pipe.exec()
      return Number(results?.[0]?.[1] ?? 0) > 0
    },
    async get(mmUserId) {
      return toRecord(await redis.hgetall(userKey(mmUserId)))
    },
    async getMany(mmUserIds) {
      const pipe = redis.pipeline()
      for (const id of mmUserIds) pipe.hgetall(userKey(id))
      const results = (await pipe.exec()) ?? []
      const out = new Map<string, UserRecord<R, S>>()
      results.forEach(([err, h], i) => {
        if (err) throw err
        const record = toRecord(h as Record<string, string>)
        if (record) out.set(mmUserIds[i] as string, record)
      })
      return out
    },
    async enrolledIds() {
      const ids: string[] = []
      let cursor = '0'
      do {
        const [next, batch] = await redis.sscan(enrolledKey, cursor, 'COUNT', 5000)
        cursor = next
        ids.push(...batch)
      } while (cursor !== '0')
      return [...new Set(ids)].sort()
    },
    async mmIdForGraphId(graphUserId) {
      return redis.hget(graphIndexKey, graphUserId)
    },
    async setSettings(mmUserId, settings) {
      await redis.hset(userKey(mmUserId), 'settings', JSON.stringify(settings))
    },
    async setAnswer(mmUserId, answer) {
      return Number(await scripts.run('hsetIfExists', [userKey(mmUserId)], ['answer', JSON.stringify(answer)])) === 1
    },
    async lease(mmUserId, ttlMs) {
      const token = randomUUID()
      const ok = await redis.set(leaseKey(mmUserId), token, 'PX', ttlMs, 'NX')
      return ok === 'OK' ? { userId: mmUserId, token } : null
    },
    async release(lease) {
      await scripts.run('deleteIfEquals', [leaseKey(lease.userId)], [lease.token])
    },
    async renew(lease, ttlMs) {
      return Number(await scripts.run('pexpireIfEquals', [leaseKey(lease.userId)], [lease.token, String(ttlMs)])) === 1
    },
    async leaseRemainingMs(mmUserId) {
      return Math.max(0, await redis.pttl(leaseKey(mmUserId)))
    },
    async commitUnchanged(updates) {
      if (updates.length === 0) return []
      const pipe = redis.pipeline()
      for (const u of updates) {
        const args = [String(u.rev), String(u.viewAt), JSON.stringify(u.remembered), String(u.lastSyncAt), u.lastError ?? '', reasonsField(u)]
        scripts.queue(pipe, 'commitUnchanged', [userKey(u.mmUserId), leaseKey(u.mmUserId)], args)
      }
      const results = (await pipe.exec()) ?? []
      return results.map(([err, r]) => {
        if (err) throw err
        return r as UnchangedCommitResult
      })
    },
    async commit(lease, update) {
      const args = [
        lease.token,
        String(update.viewAt),
        JSON.stringify(update.remembered),
        String(update.lastSyncAt),
        update.lastError ?? '',
        reasonsField(update)
      ]
      return (await scripts.run('commit', [userKey(lease.userId), leaseKey(lease.userId)], args)) as CommitResult
    },
    async setChoice(mmUserId, choice) {
      const tx = redis.multi()
      tx.srem(optInKey, mmUserId)
      tx.srem(optOutKey, mmUserId)
      if (choice === 'in') tx.sadd(optInKey, mmUserId)
      if (choice === 'out') tx.sadd(optOutKey, mmUserId)
      await tx.exec()
    },
    async choices() {
      const [optedIn, optedOut] = await Promise.all([redis.smembers(optInKey), redis.smembers(optOutKey)])
      return { optedIn: new Set(optedIn), optedOut: new Set(optedOut) }
    },
    async choiceOf(mmUserId) {
      const [inSet, outSet] = await Promise.all([redis.sismember(optInKey, mmUserId), redis.sismember(optOutKey, mmUserId)])
      return inSet ? 'in' : outSet ? 'out' : null
    },
    async resolvedAt(mmUserIds) {
      const pipe = redis.pipeline()
      for (const id of mmUserIds) pipe.hget(userKey(id), 'resolvedAt')
      const results = (await pipe.exec()) ?? []
      return new Map(mmUserIds.map((id, i) => [id, Number(results[i]?.[1] ?? 0)]))
    },
    async recordError(mmUserId, error, at) {
      // Only for users still known: a job finishing after the user left must not resurrect them.
      await scripts.run('hsetIfExists', [userKey(mmUserId)], ['lastError', error, 'lastSyncAt', String(at)])
    }
  }
}
