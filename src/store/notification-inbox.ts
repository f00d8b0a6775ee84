import type { Redis } from 'ioredis'
import { redisScripts } from './redis-scripts'

// The users whose calendars Graph says changed, waiting for a drain to queue their syncs
// (docs/architecture.md#notifications). One sorted set rather than one job per notification:
// the web answers Graph after one write per group of requests, and the worker turns the inbox
// into sync jobs in bulk.

export interface InboxEntry {
  mmUserId: string
  /** the sequence number of the add that put them there */
  seq: number
}

export interface NotificationInbox {
  /** Put these users in; true when no drain was armed, so the caller must ask for one. */
  add(mmUserIds: string[]): Promise<boolean>
  /** A drain begins: the next add arms again (and asks for the drain after this one). */
  disarm(): Promise<void>
  /** Up to `limit` users, oldest first. */
  take(limit: number): Promise<InboxEntry[]>
  /** Syncs are queued for these: out, unless a newer notification came for one since `take`. */
  done(entries: InboxEntry[]): Promise<number>
  size(): Promise<number>
}

/**
 * How long an armed inbox trusts that a drain job is on its way. Should a web process die between
 * arming and adding the job, the next notification after this arms again (and the drain job's
 * deduplication keeps that from doubling a job that did arrive).
 */
export const INBOX_ARMED_MS = 2000

export function createNotificationInbox(redis: Redis, prefix: string): NotificationInbox {
  const inbox = `${prefix}:inbox`
  const seq = `${prefix}:inbox-seq`
  const armed = `${prefix}:inbox-armed`
  const scripts = redisScripts(redis)
  return {
    async add(mmUserIds) {
      if (mmUserIds.length === 0) return false
      return (await scripts.run('inboxAdd', [inbox, seq, armed], [String(INBOX_ARMED_MS), ...mmUserIds])) === 1
    },
    async disarm() {
      await redis.del(armed)
    },
    async take(limit) {
      const flat = await redis.zrange(inbox, 0, limit - 1, 'WITHSCORES')
      const entries: InboxEntry[] = []
      for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ mmUserId: flat[i] as string, seq: Number(flat[i + 1]) })
      return entries
    },
    async done(entries) {
      if (entries.length === 0) return 0
      return Number(
        await scripts.run(
          'inboxDone',
          [inbox],
          entries.flatMap((e) => [e.mmUserId, String(e.seq)])
        )
      )
    },
    async size() {
      return redis.zcard(inbox)
    }
  }
}
