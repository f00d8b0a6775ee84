import { Queue, type Job } from 'bullmq'
import { Redis } from 'ioredis'
import type { Simulators } from '../../sim/index'
import { waitFor } from './processes'

// Reading what happened to people's statuses from the Mattermost simulator's history, for the
// end-to-end tests.

export const S = 1000
export const MINUTE = 60 * S

/** Someone in both simulators. */
export interface Person {
  name: string
  mmUserId: string
  graphUserId: string
}

export const statusChanges = (sims: Simulators, userId: string) => sims.mattermost.history.statuses.filter((c) => c.userId === userId)

/** Whether a change was made by the service (its bot), not by the person or Mattermost. */
export const byService = (sims: Simulators) => (who: string) => who === `api:${sims.mattermost.botUserId}`

/** When `p` first changed to `status` at or after `afterMs`. */
export async function waitForStatus(sims: Simulators, p: Person, status: string, afterMs: number, timeoutMs: number): Promise<number> {
  return waitFor(`${p.name} -> ${status}`, timeoutMs, async () => statusChanges(sims, p.mmUserId).find((c) => c.to === status && c.time >= afterMs)?.time)
}

/**
 * Resolves once a sync-user job for `userId` that started at or after `since` has completed and
 * none for them is waiting, delayed or running: whatever a notification for them caused has been
 * done. A named event to wait on before a "nothing more happened" check, instead of a sleep.
 */
export async function syncSettled(queue: Queue, userId: string, since: number, timeoutMs: number): Promise<void> {
  const mine = (j: Job | undefined): boolean => j?.name === 'sync-user' && (j.data as { userId?: string }).userId === userId
  await waitFor(`a finished sync of ${userId}`, timeoutMs, async () => {
    if ((await queue.getJobs(['waiting', 'delayed', 'active', 'prioritized'])).some(mine)) return undefined
    const done = await queue.getJobs(['completed'])
    return done.some((j) => mine(j) && (j.processedOn ?? 0) >= since) ? true : undefined
  })
}

/** The `sync` queue of a running service, closed at teardown. */
export function syncQueueOf(t: { teardown(fn: () => unknown): void }, redisUrl: string, prefix: string): Queue {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null })
  const queue = new Queue('sync', { connection, prefix })
  t.teardown(async () => {
    await queue.close().catch(() => undefined)
    connection.disconnect()
  })
  return queue
}
