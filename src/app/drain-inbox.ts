import type { NotificationInbox } from '../store/notification-inbox'
import type { JobQueue } from './job-queue'
import type { Outcome } from './outcome'

/** Users taken from the inbox per step: one bulk add of sync jobs each. */
const TAKE = 1000
/** Steps per run; a bigger inbox is left to the next run, so one job never runs for long. */
const MAX_STEPS = 20

/**
 * `drain-inbox`: the notified users become sync-user jobs (debounced per user as always). A user
 * leaves the inbox only after their job is queued, and not when a newer notification came for
 * them meanwhile: a crash in between queues a sync twice at worst, never none.
 */
export function createDrainInbox(deps: { inbox: NotificationInbox; jobs: Pick<JobQueue, 'syncUsers' | 'drainInbox'> }): () => Promise<Outcome> {
  const { inbox, jobs } = deps
  return async () => {
    // Disarm first: a notification written from now on asks for the next drain itself.
    await inbox.disarm()
    let queued = 0
    for (let step = 0; step < MAX_STEPS; step++) {
      const entries = await inbox.take(TAKE)
      if (entries.length === 0) return { outcome: 'done', detail: { queued } }
      queued += await jobs.syncUsers(
        entries.map((e) => e.mmUserId),
        'notification',
        { now: true }
      )
      await inbox.done(entries)
    }
    await jobs.drainInbox()
    return { outcome: 'done', detail: { queued, more: true } }
  }
}
