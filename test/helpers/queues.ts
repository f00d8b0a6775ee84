import type { Test } from 'tap'
import { Redis } from 'ioredis'
import { createJobQueue } from '../../src/queue/create-job-queue'
import { closeQueues, createQueues } from '../../src/queue/create-queues'
import { usePrivateRedis } from './redis-server'
import { silentLogger } from './web-app'

/** A private Redis, one connection to it, and the real BullMQ queues and job port on it; all closed at teardown. */
export async function useQueues(t: Test, prefix: string) {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  const queues = createQueues(redis, prefix, silentLogger)
  t.teardown(async () => {
    await closeQueues(queues)
    redis.disconnect()
  })
  return { redis, queues, jobs: createJobQueue(queues) }
}
