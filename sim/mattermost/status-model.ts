// A model of Mattermost's status semantics, shared by the Mattermost simulator and the
// rule engine's property tests, so that both are checked against one definition.
//
// Source: ../shared/reference/mattermost.md ("Status"), which follows the server's
// platform/status.go: SetStatusOnline, SetStatusAwayIfNeeded, SetStatusOffline,
// SetStatusDoNotDisturb(Timed) and UpdateExpiredDNDStatuses. Where the server keeps stale
// fields (prev_status and dnd_end_time survive a switch to online or away) the model keeps
// them too: a simulator kinder than the server would hide bugs.

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

/** truncateDNDEndTime: the server cuts the end time down to the whole minute. */
export function truncateToMinute(epochSeconds: number): number {
  return epochSeconds - (epochSeconds % 60)
}

/**
 * PUT /users/{id}/status: a status chosen by someone (the user, an admin, a bot).
 * - online: manual=false (hands the user back to automatic presence)
 * - away: manual=true
 * - offline: manual=true, clears dnd_end_time and prev_status
 * - dnd: prev_status = current status (even when that is dnd), manual=true,
 *        dnd_end_time truncated to the minute (0 or absent = no end)
 */
export function applySetStatus(rec: MmStatusRecord, status: MmStatus, dndEndTimeSeconds: number | undefined, nowMs: number): MmStatusRecord {
  switch (status) {
    case 'online':
      return { ...rec, status: 'online', manual: false, last_activity_at: nowMs }
    case 'away':
      return { ...rec, status: 'away', manual: true }
    case 'offline':
      return { ...rec, status: 'offline', manual: true, dnd_end_time: 0, prev_status: '' }
    case 'dnd': {
      const end = dndEndTimeSeconds && dndEndTimeSeconds > 0 ? truncateToMinute(dndEndTimeSeconds) : 0
      return { ...rec, prev_status: rec.status, status: 'dnd', manual: true, dnd_end_time: end }
    }
  }
}

/**
 * The once-a-minute job on the cluster leader (UpdateExpiredDNDStatuses): users in dnd whose
 * end time has passed get status = prev_status, manual = false, dnd_end_time = 0.
 */
export function applyDndExpiry(rec: MmStatusRecord, nowMs: number): MmStatusRecord {
  if (rec.status !== 'dnd' || rec.dnd_end_time <= 0 || rec.dnd_end_time * 1000 > nowMs) return rec
  const restored: MmStatus = rec.prev_status === '' ? 'online' : rec.prev_status
  return { ...rec, status: restored, manual: false, dnd_end_time: 0, prev_status: '' }
}

export type PresenceEvent = 'active' | 'idle' | 'disconnect'

/**
 * Automatic presence: activity -> online, idle -> away, disconnect -> offline.
 * Never overrides a status whose manual flag is true.
 */
export function applyPresence(rec: MmStatusRecord, event: PresenceEvent, nowMs: number): MmStatusRecord {
  if (rec.manual) return rec
  switch (event) {
    case 'active':
      return { ...rec, status: 'online', manual: false, last_activity_at: nowMs }
    case 'idle':
      return rec.status === 'online' ? { ...rec, status: 'away', manual: false } : rec
    case 'disconnect':
      return { ...rec, status: 'offline', manual: false }
  }
}

/** What GET /users/{id}/status and POST /users/status/ids return (prev_status is hidden). */
export function publicStatus(rec: MmStatusRecord): Omit<MmStatusRecord, 'prev_status'> {
  const { prev_status: _hidden, ...visible } = rec
  return visible
}
