import type { Redis } from 'ioredis'
import { closeQueues, createQueues, type Queues } from '../../src/queue/create-queues'
import { createRedis } from '../../src/store/create-redis'
import { silentLogger } from './web-app'

/** The connections a process builds its services object on (state, queues), closed at teardown. */
export function useServiceConnections(t: { teardown(fn: () => unknown): void }, redisUrl: string, prefix: string): { state: Redis; queues: Queues } {
  const state = createRedis(redisUrl, 'command', silentLogger)
  const producer = createRedis(redisUrl, 'producer', silentLogger)
  const queues = createQueues(producer, prefix, silentLogger)
  t.teardown(async () => {
    await closeQueues(queues)
    state.disconnect()
    producer.disconnect()
  })
  return { state, queues }
}
