import type { BlockNow } from './block-now'
import type { DecideContext } from './decide-context'
import { handover, leaveOwnedStatus, restoreStatus } from './leave-block'
import type { Handover } from './leave-block'
import { NO_STATUS } from './remembered-state'
import { dndOverOwnStatus, dndSeconds, ownership, stillHeld, writeFor } from './status-rules'
import type { RememberedState, StatusWrite } from './types'

/** Where the remembered block stands after continuing it. */
export interface Continued {
  state: RememberedState
  writes: StatusWrite[]
  /** rule 14: what the status that just ended hands to entering again */
  handover: Handover | null
  /** the service holds no status and nothing is released: enter it again (rules 2-6) */
  enter: boolean
}

/** The block goes on as it is: nothing to enter. */
function stay(state: RememberedState, writes: StatusWrite[] = []): Continued {
  return { state, writes, handover: null, enter: false }
}

function enterAgain(state: RememberedState, writes: StatusWrite[] = [], from: Handover | null = null): Continued {
  return { state, writes, handover: from, enter: true }
}

/**
 * Inside the remembered block (rules 7-10, 12, 13 of docs/status-rules.md). `state` is the
 * remembered state with the block's end and level as seen now.
 */
export function continueBlock(ctx: DecideContext, state: RememberedState, at: BlockNow): Continued {
  if (state.released) return continueReleased(ctx, state, at)
  if (state.setStatus === null) return enterAgain(state)
  const own = ownership(state, ctx.current, ctx.now)
  if (own === 'repair') ctx.reasons.push('rule-14a-repaired')
  if (stillHeld(own)) return continueOwned(ctx, state, at)
  if (own === 'restored') {
    // Rule 12: Mattermost restored at the DND end and the block goes on (an extension seen
    // late): enter again with the same previous status (rule 14).
    ctx.reasons.push('rule-12-already-restored')
    return enterAgain({ ...state, ...NO_STATUS }, [], handover(state, false))
  }
  if (at.stretch === null) {
    // Rule 7, but no stretch needs a status any more (the meeting was cancelled inside a
    // longer block): nothing is left to release. Marking a release that ends now would be
    // undone by the very next evaluation (found by the idempotence property test).
    ctx.reasons.push('rule-7-released', 'released-stretch-over')
    return enterAgain({ ...state, ...NO_STATUS, released: false })
  }
  // Rule 7: the user changed it during the block.
  ctx.reasons.push('rule-7-released')
  return stay({ ...state, ...NO_STATUS, released: true, statusEnd: at.stretch.end })
}

/**
 * A release (rules 5, 7, pause) lasts for the stretch that needed a status (statusEnd is its
 * end as last seen); a later meeting in the same block, after free time, is entered again.
 */
function continueReleased(ctx: DecideContext, state: RememberedState, { stretch }: BlockNow): Continued {
  const over = stretch === null || state.statusEnd === null || stretch.start > state.statusEnd
  if (!over) {
    ctx.reasons.push('block-released')
    return stay({ ...state, statusEnd: stretch.end })
  }
  ctx.reasons.push('released-stretch-over')
  const cleared = { ...state, ...NO_STATUS, released: false }
  // Released by a pause while holding an away or offline (no end time of its own): hand it
  // back if it is still ours, or to the next stretch (rule 14).
  if (state.setStatus === null || !stillHeld(ownership(state, ctx.current, ctx.now))) return enterAgain(cleared)
  if (stretch === null) return enterAgain(cleared, restoreStatus(ctx, state))
  return enterAgain(cleared, [], handover(state, true))
}

/** The status the service set is still as it set it: follow the block's levels (rules 8-10, 13). */
function continueOwned(ctx: DecideContext, state: RememberedState, { statusRun: run }: BlockNow): Continued {
  if (run.action === 'none') {
    // The level that needed a status is over but the block goes on (e.g. a meeting inside a
    // day of working elsewhere): leave the status as at a block's end (rule 13).
    const writes = leaveOwnedStatus(ctx, state)
    return writes === null ? stay(state) : stay({ ...state, ...NO_STATUS }, writes)
  }
  if (run.action !== state.setStatus) {
    // Rule 9: the new level's status action differs.
    const dndEndTime = run.action === 'dnd' ? dndSeconds(run.end) : 0
    const writes = run.action === 'dnd' ? dndOverOwnStatus(state.prevStatus, dndEndTime) : [writeFor(run.action, run.end)]
    ctx.reasons.push('rule-9-level-changed')
    return stay({ ...state, setStatus: run.action, setDndEndTime: dndEndTime, statusEnd: run.end }, writes)
  }
  if (run.action !== 'dnd') {
    ctx.reasons.push('rule-10-no-change')
    return stay({ ...state, statusEnd: run.end })
  }
  const dndEndTime = dndSeconds(run.end)
  if (dndEndTime > state.setDndEndTime) {
    // Rule 8, longer: previous status back, then DND to the new end.
    ctx.reasons.push('rule-8-extended')
    return stay({ ...state, setDndEndTime: dndEndTime, statusEnd: run.end }, dndOverOwnStatus(state.prevStatus, dndEndTime))
  }
  if (run.end !== state.statusEnd) {
    // Rule 8, shorter: restoring at the new end (rule 13) is enough.
    ctx.reasons.push('rule-8-shortened')
    return stay({ ...state, statusEnd: run.end })
  }
  ctx.reasons.push('rule-10-no-change')
  return stay(state)
}

/**
 * Pause (rule 1, docs/status-rules.md): no changes until pausedUntil; a block the service owns
 * is released, not restored. A DND restores itself at its end time; an away or offline the
 * service set does not, so it stays remembered and is handed back at the block's end if the
 * user has not changed it.
 */
export function releaseForPause(ctx: DecideContext, remembered: RememberedState | null, at: BlockNow | null): RememberedState | null {
  if (remembered === null) return null
  // Only a status still ours is kept: one the user already changed is theirs, and the same value
  // set by them later must not be taken for ours at the block's end (fast-check found it).
  const keepsStatus = remembered.setStatus !== null && remembered.setStatus !== 'dnd' && ownership(remembered, ctx.current, ctx.now) === 'ours'
  if (at === null || !at.continuing) return keepsStatus ? remembered : null
  if (!remembered.released && (remembered.setStatus !== null || remembered.setCustomStatus !== null)) ctx.reasons.push('pause-released')
  return {
    ...remembered,
    ...(keepsStatus ? {} : NO_STATUS),
    blockEnd: at.block.end,
    level: at.segment.level,
    released: true,
    statusEnd: at.stretch?.end ?? ctx.now,
    setCustomStatus: null,
    customReleased: true
  }
}
