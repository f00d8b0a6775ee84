import type { CurrentStatus, MmStatus, RememberedState, Settings, StatusAction, StatusWrite } from './types'

/** Rule 13: Mattermost's expiry runs once a minute; give it that minute and a little more. */
export const MATTERMOST_GRACE_MS = 65_000

/**
 * dnd_end_time in epoch seconds (rule 6). Rounded up to the whole minute, because Mattermost
 * truncates it down: a meeting ending at 10:30:30 must not lose Do Not Disturb at 10:30:00 and
 * see it set again. For meetings on whole minutes (nearly all) this is exactly the block's end.
 */
export function dndSeconds(endMs: number): number {
  return Math.ceil(endMs / 60000) * 60
}

export type Ownership = 'ours' | 'repair' | 'restored' | 'changed'

/**
 * Who holds the status the service set (rules 7, 12, 14a). `ours`: still exactly what it set
 * (for DND, with the end time it sent: a user who sets DND again owns it). `repair`: the DND
 * ended and Mattermost's expiry put back a previous status that was itself `dnd` (automatic, no
 * end time): still ours to hand back (rule 14a). `restored`: Mattermost's own expiry has run
 * (its end time passed and the status is automatic again). `changed`: the user changed it.
 */
export function ownership(r: RememberedState, current: CurrentStatus, now: number): Ownership {
  if (r.setStatus === null) return 'changed'
  if (current.status === r.setStatus && (r.setStatus !== 'dnd' || current.dndEndTime === r.setDndEndTime)) return 'ours'
  const expired = r.setStatus === 'dnd' && r.setDndEndTime > 0 && now >= r.setDndEndTime * 1000 && !current.manual && current.dndEndTime === 0
  // A person's own DND is always manual: an automatic one with no end can only be Mattermost's
  // expiry restoring a corrupted previous status (docs/status-rules.md#rule-14a).
  if (expired && current.status === 'dnd') return 'repair'
  // Mattermost's own DND expiry also sets dnd_end_time to 0 (docs/mattermost.md#dnd-expiry); a
  // user who picked `online` during the DND keeps it, so a change of theirs just before the
  // end is not taken for Mattermost's restore (fast-check found it; see the regression test).
  if (expired) return 'restored'
  return 'changed'
}

/** The service still holds the status: exactly as set, or as Mattermost's expiry corrupted it (rule 14a). */
export function stillHeld(own: Ownership): boolean {
  return own === 'ours' || own === 'repair'
}

/**
 * Rule 13: restore the user's manual status, or hand an automatic one back to Mattermost's
 * presence with `online` (never restore an automatic away or offline as a manual one).
 * Autopilot restores to online (Settings, "autopilot").
 */
export function restoreTarget(r: Pick<RememberedState, 'prevStatus' | 'prevManual' | 'autopilot'>): MmStatus {
  if (r.autopilot || !r.prevManual || r.prevStatus === null || r.prevStatus === 'dnd') return 'online'
  return r.prevStatus
}

/**
 * Rule 8: Mattermost stores prev_status = dnd when DND is set over DND. Setting the user's
 * previous status back first makes the next DND capture it again, so Mattermost's own restore
 * stays exact. A previous DND is never written back (it would be captured as dnd).
 */
export function dndOverOwnStatus(prevStatus: MmStatus | null, dndEndTime: number): StatusWrite[] {
  const back: MmStatus = prevStatus === null || prevStatus === 'dnd' ? 'online' : prevStatus
  return [{ status: back }, { status: 'dnd', dndEndTime }]
}

export function writeFor(action: Exclude<StatusAction, 'none'>, endMs: number): StatusWrite {
  return action === 'dnd' ? { status: 'dnd', dndEndTime: dndSeconds(endMs) } : { status: action }
}

export type EnterOutcome = 'rule-2-no-status-action' | 'rule-3-already-target' | 'rule-4-offline-skipped' | 'rule-5-manual-respected' | 'rule-6-entered'

/** Rules 2-6, in order, for a user whose status is `status` (manual or not). */
export function enterOutcome(action: StatusAction, status: MmStatus, manual: boolean, settings: Settings, autopilotOn: boolean): EnterOutcome {
  if (action === 'none') return 'rule-2-no-status-action'
  if (status === action) return 'rule-3-already-target'
  if (status === 'offline' && settings.offlineUsers === 'skip') return 'rule-4-offline-skipped'
  if (manual && status !== 'online' && !autopilotOn) return 'rule-5-manual-respected'
  return 'rule-6-entered'
}
