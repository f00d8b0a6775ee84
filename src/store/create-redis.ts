import { Redis, type RedisOptions } from 'ioredis'
import type { Logger } from 'pino'

/**
 * What a connection is for decides how it behaves while Redis is away:
 * - `worker`: BullMQ workers block on Redis; BullMQ requires maxRetriesPerRequest: null and
 *   keeps retrying forever (docs/packages.md).
 * - `producer`: enqueueing from an HTTP request must fail fast so the route can answer 503
 *   and Graph retries (no offline queue; BullMQ's advice for Queue instances).
 * - `command`: state reads and writes in job processors: retried a few times, then an error
 *   that fails the job (BullMQ retries it).
 * - `probe`: /readyz; answers at once whether Redis is reachable.
 */
export type RedisPurpose = 'worker' | 'producer' | 'command' | 'probe'

/**
 * After a failover the old primary, now a replica, answers writes with READONLY while the
 * connection stays up: reconnect, so the client reaches the new primary (DNS or a proxy behind
 * the same URL). BullMQ's own connection also sends the refused command again (2), as it keeps
 * retrying while Redis is away; the others fail it (1) and their callers retry as for any
 * Redis error (a job retry, a 503 Graph retries, /readyz unready for a moment).
 * https://github.com/redis/ioredis#reconnect-on-error
 */
function reconnectOnReadonly(purpose: RedisPurpose): (err: Error) => 1 | 2 | false {
  const action = purpose === 'worker' ? 2 : 1
  return (err) => (err.message.startsWith('READONLY') ? action : false)
}

export function createRedis(url: string, purpose: RedisPurpose, log: Logger): Redis {
  const options: RedisOptions = {
    connectionName: `calstatus-${purpose}`,
    // Reconnect for ever, at most every 2 s: Redis coming back must heal every process.
    retryStrategy: (times) => Math.min(times * 100, 2000),
    reconnectOnError: reconnectOnReadonly(purpose),
    ...(purpose === 'worker' ? { maxRetriesPerRequest: null } : {}),
    ...(purpose === 'producer' ? { maxRetriesPerRequest: 1, enableOfflineQueue: false } : {}),
    ...(purpose === 'command' ? { maxRetriesPerRequest: 3 } : {}),
    ...(purpose === 'probe' ? { maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 1000 } : {})
  }
  const redis = new Redis(url, options)
  // An unhandled 'error' event would crash the process; Redis going away is an expected state.
  let lastError = ''
  redis.on('error', (err: Error) => {
    if (err.message !== lastError) log.warn({ purpose, err }, 'redis connection error')
    lastError = err.message
  })
  redis.on('ready', () => {
    if (lastError) log.info({ purpose }, 'redis connection restored')
    lastError = ''
  })
  return redis
}

/**
 * Resolve when Redis answers a PING within `timeoutMs`, reject otherwise. A connection that
 * is still (re)connecting gets the same time to become ready, so a process that has just
 * started, or whose Redis has just come back, is not reported unready for no reason.
 */
export async function pingRedis(redis: Redis, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (redis.status !== 'ready') {
    if (redis.status === 'end') throw new Error('connection closed')
    if (Date.now() >= deadline) throw new Error(`not connected (${redis.status})`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer to PING within ${timeoutMs} ms`)), Math.max(1, deadline - Date.now()))
      })
    ])
  } finally {
    clearTimeout(timer)
  }
}
