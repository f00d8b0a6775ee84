import type { SimHistory, StatusChangeCause } from './history'
import { applyDndExpiry, applyPresence, applySetStatus, initialStatus, type MmStatus, type MmStatusRecord, type PresenceEvent } from './status-model'

// Status rows, changed only through the shared status model (status-model.ts), with every
// change recorded. The server keeps a row for any id it was asked to set, even an id that is
// no user (SetStatus* create the row when GetStatus fails), so this store does too.

export interface StatusStore {
  /** The stored record (with the hidden prev_status), or what the server reports for no row. */
  get(userId: string): MmStatusRecord
  has(userId: string): boolean
  /** PUT /users/{id}/status semantics. */
  set(userId: string, status: MmStatus, dndEndTimeSeconds: number | undefined, who: StatusChangeCause): MmStatusRecord
  /** Automatic presence; never overrides a manual status. */
  presence(userId: string, event: PresenceEvent): MmStatusRecord
  /** The once-a-minute DND expiry job; returns the users it changed. */
  expire(nowMs: number): string[]
  /** Test setup: write a record as is (recorded with who = 'driver'). */
  seed(userId: string, patch: Partial<Omit<MmStatusRecord, 'user_id'>>): MmStatusRecord
}

export function createStatusStore(deps: { now: () => number; history: SimHistory }): StatusStore {
  const rows = new Map<string, MmStatusRecord>()

  const write = (before: MmStatusRecord, after: MmStatusRecord, who: StatusChangeCause, time: number): MmStatusRecord => {
    rows.set(after.user_id, after)
    deps.history.statuses.push({
      time,
      userId: after.user_id,
      from: before.status,
      to: after.status,
      fromManual: before.manual,
      manual: after.manual,
      dndEndTime: after.dnd_end_time,
      prevStatus: after.prev_status,
      who
    })
    return { ...after }
  }

  const changed = (a: MmStatusRecord, b: MmStatusRecord): boolean =>
    a.status !== b.status || a.manual !== b.manual || a.dnd_end_time !== b.dnd_end_time || a.prev_status !== b.prev_status

  return {
    get: (userId) => ({ ...(rows.get(userId) ?? initialStatus(userId)) }),
    has: (userId) => rows.has(userId),
    set(userId, status, dndEndTimeSeconds, who) {
      const now = deps.now()
      const before = rows.get(userId) ?? initialStatus(userId)
      // Every PUT is a write on the server (SaveAndBroadcastStatus), so it is recorded even
      // when nothing visible changes: DND over DND changes only the hidden prev_status.
      return write(before, applySetStatus(before, status, dndEndTimeSeconds, now), who, now)
    },
    presence(userId, event) {
      const now = deps.now()
      const before = rows.get(userId) ?? initialStatus(userId)
      const after = applyPresence(before, event, now)
      if (!changed(before, after)) {
        if (after !== before) rows.set(userId, after) // last_activity_at only
        return { ...after }
      }
      return write(before, after, 'presence', now)
    },
    expire(nowMs) {
      const done: string[] = []
      for (const before of [...rows.values()]) {
        const after = applyDndExpiry(before, nowMs)
        if (after !== before) {
          write(before, after, 'expiry', nowMs)
          done.push(before.user_id)
        }
      }
      return done
    },
    seed(userId, patch) {
      const before = rows.get(userId) ?? initialStatus(userId)
      return write(before, { ...before, ...patch, user_id: userId }, 'driver', deps.now())
    }
  }
}
