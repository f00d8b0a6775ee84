// A model of Mattermost's status semantics, shared by the Mattermost simulator and the
// rule engine's property tests, so that both are checked against one definition.
//
// Source: docs/mattermost.md#status, which follows the server's
// platform/status.go: SetStatusOnline, SetStatusAwayIfNeeded, SetStatusOffline,
// SetStatusDoNotDisturb(Timed) and UpdateExpiredDNDStatuses. Where the server keeps stale
// fields (prev_status and dnd_end_time survive a switch to online or away) the model keeps
// them too: a simulator kinder than the server would hide bugs.
// Checked against transitions recorded from the server's source and tests, with upstream
// links and commits: test/fixtures/mattermost-status-transitions.json.

export type MmStatus = 'online' | 'away' | 'offline' | 'dnd'

export const MM_STATUSES: readonly MmStatus[] = ['online', 'away', 'offline', 'dnd']

export interface MmStatusRecord {
  user_id: string
  status: MmStatus
  manual: boolean
  /** milliseconds */
  last_activity_at: number
  /** SECONDS since the epoch; 0 = no end. Only meaningful while status is dnd. */
  dnd_end_time: number
  /** hidden server-side field: what DND expiry restores */
  prev_status: MmStatus | ''
}

export function initialStatus(userId: string): MmStatusRecord {
  // Unknown users read back as offline (POST /users/status/ids).
  return { user_id: userId, status: 'offline', manual: false, last_activity_at: 0, dnd_end_time: 0, prev_status: '' }
}

/**
 * truncateDNDEndTime: time.Unix(t, 0).Truncate(time.Minute), down to the whole minute, also
 * below zero (-30 -> -60; Go rounds down from its zero time, a whole number of minutes before 1970).
 */
export function truncateToMinute(epochSeconds: number): number {
  return epochSeconds - (((epochSeconds % 60) + 60) % 60)
}

/**
 * PUT /users/{id}/status: a status chosen by someone (the user, an admin, a bot).
 * - online: manual=false (hands the user back to automatic presence)
 * - away: manual=true
 * - offline: a fresh record: manual=true, last_activity_at = now, no dnd_end_time, no prev_status
 * - dnd: prev_status = current status (even when that is dnd), manual=true,
 *        dnd_end_time truncated to the minute (0 or absent = no end; the server stores a
 *        negative one as truncated, and the expiry, which wants > 0, never ends it)
 */
export function applySetStatus(rec: MmStatusRecord, status: MmStatus, dndEndTimeSeconds: number | undefined, nowMs: number): MmStatusRecord {
  switch (status) {
    case 'online':
      return { ...rec, status: 'online', manual: false, last_activity_at: nowMs }
    case 'away':
      return { ...rec, status: 'away', manual: true }
    case 'offline':
      return offlineRecord(rec.user_id, true, nowMs)
    case 'dnd':
      return { ...rec, prev_status: rec.status, status: 'dnd', manual: true, dnd_end_time: truncateToMinute(dndEndTimeSeconds ?? 0) }
  }
}

/** SetStatusOffline builds a new record: the DND fields go, last_activity_at is now. */
function offlineRecord(userId: string, manual: boolean, nowMs: number): MmStatusRecord {
  return { user_id: userId, status: 'offline', manual, last_activity_at: nowMs, dnd_end_time: 0, prev_status: '' }
}

/**
 * The once-a-minute job on the cluster leader (UpdateExpiredDNDStatuses): users in dnd whose
 * end time has passed get status = prev_status, prev_status = dnd, manual = false,
 * dnd_end_time = 0 (the store's UPDATE sets exactly these four columns).
 */
export function applyDndExpiry(rec: MmStatusRecord, nowMs: number): MmStatusRecord {
  if (rec.status !== 'dnd' || rec.dnd_end_time <= 0 || rec.dnd_end_time * 1000 > nowMs) return rec
  // The server copies an empty PrevStatus as is (status ""); no API call leaves a timed DND
  // without one, only a seeded record can, and the model reads that as online.
  const restored: MmStatus = rec.prev_status === '' ? 'online' : rec.prev_status
  return { ...rec, status: restored, manual: false, dnd_end_time: 0, prev_status: 'dnd' }
}

export type PresenceEvent = 'active' | 'idle' | 'disconnect'

/**
 * Automatic presence, never overriding a status whose manual flag is true:
 * - active (SetStatusOnline(id, false)): online, last_activity_at = now
 * - idle (SetStatusAwayIfNeeded(id, false) past the away timeout): away, from any automatic
 *   status, a DND restored by the expiry (manual=false) and an automatic offline included
 * - disconnect (SetStatusOffline(id, false)): a fresh offline record, as for PUT offline
 */
export function applyPresence(rec: MmStatusRecord, event: PresenceEvent, nowMs: number): MmStatusRecord {
  if (rec.manual) return rec
  switch (event) {
    case 'active':
      return { ...rec, status: 'online', manual: false, last_activity_at: nowMs }
    case 'idle':
      return rec.status === 'away' ? rec : { ...rec, status: 'away', manual: false }
    case 'disconnect':
      return offlineRecord(rec.user_id, false, nowMs)
  }
}

/** What GET /users/{id}/status and POST /users/status/ids return (prev_status is hidden). */
export function publicStatus(rec: MmStatusRecord): Omit<MmStatusRecord, 'prev_status'> {
  const { prev_status: _hidden, ...visible } = rec
  return visible
}
