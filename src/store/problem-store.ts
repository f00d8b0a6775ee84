import type { Redis } from 'ioredis'
import { redisScripts } from './redis-scripts'

/** A problem admins must hear of, as kept in `<prefix>:problems` (docs/architecture.md#failure-notices). */
export interface Problem {
  kind: string
  /** when it began (ms) */
  since: number
  /** when it was last seen (ms) */
  lastSeen: number
  /** what is wrong and how to fix it */
  text: string
  /** when admins were sent a notice of it, if they were */
  noticedAt?: number
}

/**
 * The cluster's current problems, one hash field per kind (JSON), which the admin page reads;
 * the once-per-period claim of each kind's notice; and, per watched dependency, since when every
 * call has been failing.
 */
export interface ProblemStore {
  /** Record or refresh a problem; `isNew` when it was not current. */
  raise(kind: string, text: string, now: number, since?: number): Promise<{ isNew: boolean; problem: Problem }>
  /** Set (or with null, unset) when admins were told; false when the problem is no longer current. */
  markNoticed(kind: string, at: number | null): Promise<boolean>
  /** Remove a current problem and return it; null when it was not current (another process cleared it). */
  clear(kind: string): Promise<Problem | null>
  list(): Promise<Problem[]>
  kinds(): Promise<string[]>
  /** The first caller in `ttlSeconds` gets true: one notice per kind and period for the cluster. */
  claimNotice(kind: string, ttlSeconds: number): Promise<boolean>
  releaseNotice(kind: string): Promise<void>
  /** Since when calls to `what` have been failing (`now` when this is the first failure). */
  failingSince(what: string, now: number): Promise<number>
  /** A call to `what` worked. */
  working(what: string): Promise<void>
}

export function createProblemStore(redis: Redis, prefix: string): ProblemStore {
  const scripts = redisScripts(redis)
  const hash = `${prefix}:problems`
  const noticeKey = (kind: string): string => `${prefix}:notice:${kind}`
  const failingKey = (what: string): string => `${prefix}:failing-since:${what}`
  const parse = (json: string): Problem => JSON.parse(json) as Problem
  return {
    async raise(kind, text, now, since) {
      const [isNew, json] = (await scripts.run('problemRaise', [hash], [kind, String(now), text, since === undefined ? '' : String(since)])) as [number, string]
      return { isNew: isNew === 1, problem: parse(json) }
    },
    async markNoticed(kind, at) {
      return (await scripts.run('problemNoticed', [hash], [kind, at === null ? '' : String(at)])) === 1
    },
    async clear(kind) {
      const results = await redis.multi().hget(hash, kind).hdel(hash, kind).exec()
      const [err, json] = results?.[0] ?? [null, null]
      if (err) throw err
      return typeof json === 'string' ? parse(json) : null
    },
    async list() {
      return Object.values(await redis.hgetall(hash)).map(parse)
    },
    async kinds() {
      return redis.hkeys(hash)
    },
    async claimNotice(kind, ttlSeconds) {
      return (await redis.set(noticeKey(kind), String(Date.now()), 'EX', ttlSeconds, 'NX')) === 'OK'
    },
    async releaseNotice(kind) {
      await redis.del(noticeKey(kind))
    },
    async failingSince(what, now) {
      // A failure streak older than a day is stale (a process died before it saw Graph back).
      const results = await redis
        .multi()
        .set(failingKey(what), String(now), 'EX', 24 * 3600, 'NX')
        .get(failingKey(what))
        .exec()
      const [err, value] = results?.[1] ?? [null, null]
      if (err) throw err
      return typeof value === 'string' ? Number(value) : now
    },
    async working(what) {
      await redis.del(failingKey(what))
    }
  }
}
