import type { BlockNow } from './block-now'
import type { DecideContext } from './decide-context'
import { restoreStatus } from './leave-block'
import type { Handover } from './leave-block'
import { dndOverOwnStatus, dndSeconds, enterOutcome, writeFor } from './status-rules'
import { enteredMessage } from './texts'
import type { CurrentStatus, MmStatus, RememberedState, StatusAction, StatusWrite } from './types'

/** What entering the block decided. */
export interface Entered {
  state: RememberedState
  writes: StatusWrite[]
  /** the notify message, if any */
  message: string | null
  /** rules 4, 5 held back entering a new block: its custom status waits too */
  heldBack: boolean
}

interface JudgedStatus {
  status: MmStatus
  manual: boolean
}

/**
 * The status rules 2-6 judge: the current one, or for rule 14 the previous block's previous
 * status (Mattermost's restore drops the manual flag, the remembered one keeps it).
 */
function judgedStatus(current: CurrentStatus, from: Handover | null): JudgedStatus {
  if (from?.stillOurs) return { status: from.prevStatus ?? 'online', manual: from.prevManual }
  if (from !== null && current.status === from.prevStatus) return { status: current.status, manual: from.prevManual }
  return { status: current.status, manual: current.manual }
}

/**
 * Entering a block, new or going on with no status held (rules 2-6 and 14 of
 * docs/status-rules.md). `from` is what a status that just ended hands over (rule 14).
 */
export function enterBlock(ctx: DecideContext, state: RememberedState, from: Handover | null, at: BlockNow): Entered {
  const judged = judgedStatus(ctx.current, from)
  const autopilotOn = ctx.settings.autopilotUntil !== null && ctx.settings.autopilotUntil > ctx.now
  const action = at.statusRun.action
  const outcome = enterOutcome(action, judged.status, judged.manual, ctx.settings, autopilotOn)
  ctx.reasons.push(outcome)
  if (outcome === 'rule-6-entered' && action !== 'none') return enterWithStatus(ctx, state, from, at, action, judged, autopilotOn)
  // Not entered: a status still ours from the block just left goes back (rule 13).
  const writes = from?.stillOurs ? restoreStatus(ctx, from) : []
  if (outcome === 'rule-5-manual-respected') {
    // Rule 5: the user's manual status wins for this stretch, and in a new block their custom status too.
    const released = { ...state, released: true, statusEnd: at.stretch?.end ?? ctx.now, customReleased: state.customReleased || !at.continuing }
    return { state: released, writes, message: null, heldBack: !at.continuing }
  }
  // Rule 4: no change now, custom status included; a later evaluation may enter.
  return { state, writes, message: null, heldBack: !at.continuing && outcome === 'rule-4-offline-skipped' }
}

/** Rule 6: set the status for the run of the block at now, and say so once (notify). */
function enterWithStatus(
  ctx: DecideContext,
  state: RememberedState,
  from: Handover | null,
  at: BlockNow,
  action: Exclude<StatusAction, 'none'>,
  judged: JudgedStatus,
  autopilotOn: boolean
): Entered {
  const end = at.statusRun.end
  const dndEndTime = action === 'dnd' ? dndSeconds(end) : 0
  const writes = from?.stillOurs ? writesOverOwnStatus(ctx, from, action, end) : [writeFor(action, end)]
  if (from !== null) ctx.reasons.push('rule-14-next-block')
  const autopilot = (from?.autopilot ?? false) || (autopilotOn && judged.manual && judged.status !== 'online')
  const entered = { ...state, setStatus: action, setDndEndTime: dndEndTime, statusEnd: end, prevStatus: judged.status, prevManual: judged.manual, autopilot }
  // notify: one message per block, when the service changed the status at its start.
  if (!ctx.settings.notify || entered.notified || writes.length === 0) return { state: entered, writes, message: null, heldBack: false }
  const message = enteredMessage(at.segment.level, action, end, ctx.now, ctx.zone, ctx.locale, autopilot)
  return { state: { ...entered, notified: true }, writes, message, heldBack: false }
}

/** Rule 14 with the previous block's status still ours: no flicker to online between the blocks. */
function writesOverOwnStatus(ctx: DecideContext, from: Handover, action: Exclude<StatusAction, 'none'>, end: number): StatusWrite[] {
  if (action === 'dnd') return dndOverOwnStatus(from.prevStatus, dndSeconds(end))
  return action === ctx.current.status ? [] : [writeFor(action, end)]
}
