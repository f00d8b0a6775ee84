import { isSame } from './custom-status-rules'
import type { DecideContext } from './decide-context'
import { MATTERMOST_GRACE_MS, ownership, restoreTarget } from './status-rules'
import type { CustomStatus, MmStatus, RememberedState, SetCustomStatus, StatusWrite } from './types'

/** Rule 14 (docs/status-rules.md): what a block whose status is over hands to the block entered right after it. */
export interface Handover {
  prevStatus: MmStatus | null
  prevManual: boolean
  autopilot: boolean
  /** the status is still the one the service set (else Mattermost already restored it) */
  stillOurs: boolean
}

export function handover(from: RememberedState, stillOurs: boolean): Handover {
  return { prevStatus: from.prevStatus, prevManual: from.prevManual, autopilot: from.autopilot, stillOurs }
}

/** What leaving the remembered block decided. */
export interface Left {
  /** rule 13: the status handed back when no block follows */
  writes: StatusWrite[]
  /** the state kept while Mattermost's own DND expiry is awaited (rule 13), when no block follows */
  waiting: RememberedState | null
  /** rule 14: for the block that is already on */
  handover: Handover | null
  /** rule 18: our custom status, still shown exactly as we set it, to clear */
  customToClear: SetCustomStatus | null
}

/** Rule 13 (docs/status-rules.md): hand the status back, as the user had it before the service set it. */
export function restoreStatus(ctx: DecideContext, holder: Pick<RememberedState, 'prevStatus' | 'prevManual' | 'autopilot'>): StatusWrite[] {
  ctx.reasons.push('rule-13-restored')
  return [{ status: restoreTarget(holder) }]
}

/**
 * Rule 13 (docs/status-rules.md), for a status the service still holds when its stretch is
 * over: when the DND end time has just passed, Mattermost's own expiry restores the exact
 * previous status within the minute, so wait for it (null); otherwise (ended early, cancelled,
 * not DND, or Mattermost did not do it in time) restore now.
 */
export function leaveOwnedStatus(ctx: DecideContext, state: RememberedState): StatusWrite[] | null {
  const endMs = state.setDndEndTime * 1000
  const expiryRan = ownership(state, ctx.current, ctx.now) === 'repair'
  if (state.setStatus === 'dnd' && !expiryRan && endMs > 0 && ctx.now >= endMs && ctx.now < endMs + MATTERMOST_GRACE_MS) {
    ctx.reasons.push('rule-13-waiting-for-mattermost')
    ctx.wakeTimes.push(endMs + MATTERMOST_GRACE_MS)
    return null
  }
  return restoreStatus(ctx, state)
}

/**
 * Leaving the remembered block: it ended, or vanished (cancelled, declined). `blockOn` says
 * whether another block is on at now; entering it then decides what to write (rule 14).
 */
export function leaveBlock(ctx: DecideContext, left: RememberedState, blockOn: boolean, currentCustom: CustomStatus | null): Left {
  const status = leaveStatus(ctx, left, blockOn)
  // Rule 18: clear our custom status only if it is still exactly ours (expired or not).
  return { ...status, customToClear: isSame(currentCustom, left.setCustomStatus) ? left.setCustomStatus : null }
}

/** Rules 11-14 (docs/status-rules.md): the status the left block set, if the service still holds it. */
function leaveStatus(ctx: DecideContext, left: RememberedState, blockOn: boolean): Omit<Left, 'customToClear'> {
  const nothing = { writes: [], waiting: null, handover: null }
  if (left.setStatus === null) {
    if (left.released) ctx.reasons.push('rule-11-released')
    return nothing
  }
  const own = ownership(left, ctx.current, ctx.now)
  if (own === 'changed') {
    ctx.reasons.push('rule-12-status-changed')
    return nothing
  }
  if (own === 'restored') {
    ctx.reasons.push('rule-12-already-restored')
    return { ...nothing, handover: handover(left, false) }
  }
  if (own === 'repair') ctx.reasons.push('rule-14a-repaired')
  // Rule 14: a new block is already on; entering it decides what to write.
  if (blockOn) return { ...nothing, handover: handover(left, true) }
  const writes = leaveOwnedStatus(ctx, left)
  if (writes === null) return { ...nothing, waiting: { ...left, setCustomStatus: null, customReleased: false } }
  return { ...nothing, writes }
}
