import { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { QUEUE_NAMES, type QueueName } from './jobs'

export type Queues = { readonly [Q in QueueName]: Queue }

/** Producer-side queues, sharing one fail-fast connection (see create-redis.ts). */
export function createQueues(connection: Redis, prefix: string): Queues {
  const entries = QUEUE_NAMES.map((name) => [name, new Queue(name, { connection, prefix })] as const)
  return Object.fromEntries(entries) as Queues
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()))
}
