import { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { QUEUE_NAMES, type QueueName } from './jobs'

export type Queues = { readonly [Q in QueueName]: Queue }

/** Producer-side queues, sharing one fail-fast connection (see create-redis.ts). */
export function createQueues(connection: Redis, prefix: string, log: Logger): Queues {
  const entries = QUEUE_NAMES.map((name) => {
    const queue = new Queue(name, { connection, prefix })
    // Without a listener BullMQ prints every connection error with its stack; the connection
    // itself already logs the outage once (create-redis.ts).
    queue.on('error', (err) => log.debug({ queue: name, err }, 'queue connection error'))
    return [name, queue] as const
  })
  return Object.fromEntries(entries) as Queues
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()))
}
