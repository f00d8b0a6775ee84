import type { WakeUpStore } from '../../store/wake-up-store'
import type { JobQueue } from '../job-queue'

/**
 * One pending wake-up per user, at the rule engine's `nextWakeAt`, so statuses change at the
 * minute a meeting starts or ends rather than at the next sweep. Users whose wake-up falls on the
 * same instant form its cohort and are woken together, 400 per shard (docs/architecture.md,
 * "Wake-ups"): a cohort's runs are jobs whose ids carry the instant. A user who joins once the
 * cohort's on-time run has taken its members gets a wake-up job of their own.
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
  jobs: Pick<JobQueue, 'addWakeUp' | 'addCohort'>
  /** how long before a cohort's instant its early run looks at it (MAX_EARLY_SECONDS plus planning time) */
  earlyRunLeadMs: number
  now?: () => number
}

/** Markers and cohorts outlive their instant by an hour: long enough for a late run to find them. */
export const WAKE_UP_GRACE_MS = 3600_000
const ADDED_MEMO_MS = 60_000

export function createWakeUps({ markers, jobs, earlyRunLeadMs, now = Date.now }: WakeUpDeps): WakeUps {
  // The cohorts whose jobs this process added in the last minute: adding them again would be a
  // no-op (their ids are deterministic), this only saves round trips when a sweep moves many
  // people to the same instant. Short, so jobs lost with Redis's data are added again soon.
  const added = new Map<number, number>()
  const ensureCohortJobs = async (at: number): Promise<void> => {
    const t = now()
    if ((added.get(at) ?? -Infinity) > t - ADDED_MEMO_MS) return
    await jobs.addCohort(at, earlyRunLeadMs)
    for (const [instant, when] of added) if (when <= t - ADDED_MEMO_MS) added.delete(instant)
    added.set(at, t)
  }
  return {
    async schedule(mmUserId, at) {
      const previous = await markers.get(mmUserId)
      if (at === null) {
        if (previous !== null) await markers.leave(mmUserId, previous)
        return
      }
      if (previous === at) return
      // The cohort's jobs before the marker: a marker names a wake-up that will run (a failed
      // join leaves no marker, and the next decision schedules again).
      await ensureCohortJobs(at)
      const ttlMs = Math.max(60_000, at - now() + WAKE_UP_GRACE_MS)
      if (await markers.join(mmUserId, at, previous, ttlMs)) return
      // The cohort's on-time run is over: a wake-up of the user's own, at once if `at` has passed.
      try {
        await jobs.addWakeUp(mmUserId, at)
      } catch (err) {
        await markers.leave(mmUserId, at)
        throw err
      }
    },
    async moved(entries) {
      const pending = await markers.getMany(entries.map((e) => e.mmUserId))
      return entries.filter((e, i) => (pending[i] ?? null) !== e.at)
    },
    async isCurrent(mmUserId, at) {
      const marker = await markers.get(mmUserId)
      return marker === at || marker === null
    },
    async cancel(mmUserId) {
      const previous = await markers.get(mmUserId)
      if (previous !== null) await markers.leave(mmUserId, previous)
    }
  }
}
