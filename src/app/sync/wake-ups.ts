import type { WakeUpStore } from '../../store/wake-up-store'
import type { JobQueue } from '../job-queue'

/**
 * One pending wake-up per user, at the rule engine's `nextWakeAt`, so statuses change at the
 * minute a meeting starts or ends rather than at the next sweep. A running wake-up cannot remove
 * itself, so moving the time adds a new job; the old one, when it fires, finds it is no longer
 * the user's current wake-up (the marker) and skips (docs/architecture.md, "Wake-ups").
 */
export interface WakeUps {
  /** Replace the user's pending wake-up with one at `at`; null: none needed. */
  schedule(mmUserId: string, at: number | null): Promise<void>
  /** Of these, the users whose pending wake-up is not at `at`: one round trip for a shard. */
  moved<E extends { mmUserId: string; at: number | null }>(entries: E[]): Promise<E[]>
  /** Whether a wake-up for `at` is still the user's pending one (or the user has none marked). */
  isCurrent(mmUserId: string, at: number): Promise<boolean>
  /** Forget the user's wake-up (the user left). */
  cancel(mmUserId: string): Promise<void>
}

export interface WakeUpDeps {
  markers: WakeUpStore
  jobs: Pick<JobQueue, 'addWakeUp' | 'removeWakeUp'>
  now?: () => number
}

/** A marker outlives its wake-up by an hour: long enough for a late job to find it. */
const MARKER_GRACE_MS = 3600_000

export function createWakeUps({ markers, jobs, now = Date.now }: WakeUpDeps): WakeUps {
  const cancel = async (mmUserId: string): Promise<void> => {
    const previous = await markers.get(mmUserId)
    if (previous === null) return
    await markers.delete(mmUserId)
    await jobs.removeWakeUp(mmUserId, previous)
  }
  return {
    async schedule(mmUserId, at) {
      if (at === null) return cancel(mmUserId)
      const previous = await markers.get(mmUserId)
      if (previous === at) return
      // The job before its marker: a marker names a job that exists. A job whose marker could
      // not be written still runs (isCurrent takes no marker as current).
      await jobs.addWakeUp(mmUserId, at)
      await markers.set(mmUserId, at, Math.max(60_000, at - now() + MARKER_GRACE_MS))
      if (previous !== null) await jobs.removeWakeUp(mmUserId, previous)
    },
    async moved(entries) {
      const pending = await markers.getMany(entries.map((e) => e.mmUserId))
      return entries.filter((e, i) => (pending[i] ?? null) !== e.at)
    },
    async isCurrent(mmUserId, at) {
      const marker = await markers.get(mmUserId)
      return marker === at || marker === null
    },
    cancel
  }
}
