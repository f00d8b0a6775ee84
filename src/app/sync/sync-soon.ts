import type { JobQueue } from '../job-queue'

/**
 * Above this many users at once (the first directory run on a big site), one sweep beats one
 * sync each: 400 users per Graph request instead of one request each.
 */
export const SYNC_SOON_LIMIT = 20

/** Sync these users soon: a sync-user each when they are few, one sweep when they are many. */
export type SyncSoon = (mmUserIds: string[], reason: string) => Promise<void>

export function createSyncSoon(jobs: Pick<JobQueue, 'syncUsers' | 'sweepNow'>): SyncSoon {
  return async (mmUserIds, reason) => {
    if (mmUserIds.length <= SYNC_SOON_LIMIT) await jobs.syncUsers(mmUserIds, reason)
    else await jobs.sweepNow(reason)
  }
}
