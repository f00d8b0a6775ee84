import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { redisScripts } from './redis-scripts'

/**
 * One holder at a time for the whole cluster, for work that must not run twice at once (the
 * directory: two runs would enrol and subscribe everyone twice). The lock expires after `ttlMs`
 * so a worker killed while holding it does not block the work for good; releasing checks the
 * token, so a holder whose time ran out never releases its successor's lock.
 */
export interface ClusterLock {
  /** Run `work` holding the lock `name`, or skip it (`ran: false`) while another holder has it. */
  run<T>(name: string, ttlMs: number, work: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }>
}

export function createClusterLock(redis: Redis, prefix: string): ClusterLock {
  const scripts = redisScripts(redis)
  return {
    async run(name, ttlMs, work) {
      const key = `${prefix}:lock:${name}`
      const token = randomUUID()
      if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return { ran: false }
      try {
        return { ran: true, value: await work() }
      } finally {
        await scripts.run('deleteIfEquals', [key], [token])
      }
    }
  }
}
