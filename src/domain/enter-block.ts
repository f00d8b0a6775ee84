import type { BlockNow } from './block-now'
import type { DecideContext } from './decide-context'
import { restoreStatus } from './leave-block'
import type { Handover } from './leave-block'
import { dndOverOwnStatus, dndSeconds, enterOutcome, writeFor } from './status-rules'
import { stretchNotice } from './stretch-notice'
import { confirmNotice } from './confirm-notice'
import type { CurrentStatus, MmStatus, Notice, RememberedState, StatusAction, StatusWrite } from './types'

/** What entering the block decided. */
export interface Entered {
  state: RememberedState
  writes: StatusWrite[]
  /** the notify message or the "Ask first" question, if any */
  message: Notice | null
  /** rules 4, 5 held back entering a new block, or a question waits: the custom status waits too */
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
  const answer = ctx.settings.confirm ? answerFor(ctx, state) : null
  // "Ask first": once asked, the person's answer decides over their manual status, not rule 5
  // (docs/status-rules.md#confirm).
  const asking = ctx.settings.confirm && (state.asked || answer !== null)
  const outcome = enterOutcome(action, judged.status, judged.manual, ctx.settings, autopilotOn || asking)
  if (outcome === 'rule-6-entered' && action !== 'none') {
    if (ctx.settings.confirm) return confirmStep(ctx, state, from, at, action, judged, answer)
    ctx.reasons.push(outcome)
    const entered = enterWithStatus(ctx, state, from, at, action, judged, autopilotOn)
    return withStretchNotice(ctx, entered, at, action)
  }
  ctx.reasons.push(outcome)
  // Not entered: a status still ours from the block just left goes back (rule 13).
  const writes = from?.stillOurs ? restoreStatus(ctx, from) : []
  if (outcome === 'rule-5-manual-respected') {
    // Rule 5: the user's manual status wins for this stretch, and in a new block their custom status too.
    const released = { ...state, released: true, statusEnd: at.stretch?.end ?? ctx.now, customReleased: state.customReleased || !at.continuing }
    return { state: released, writes, message: null, heldBack: !at.continuing }
  }
  // Rule 4: no change now, custom status included; a later evaluation may enter. While a
  // question waits (rules 3, 4 after asking), nothing of ours appears either (#confirm).
  const questionOpen = ctx.settings.confirm && state.asked && action !== 'none'
  return { state, writes, message: null, heldBack: questionOpen || (!at.continuing && outcome === 'rule-4-offline-skipped') }
}

/** The person's answer, when it is for this block (the remembered block's start); any other is ignored. */
function answerFor(ctx: DecideContext, state: RememberedState): 'yes' | 'no' | null {
  return ctx.answer !== null && ctx.answer.blockStart === state.blockStart ? ctx.answer.choice : null
}

/**
 * "Ask first" where rule 6 would set a status (docs/status-rules.md#confirm): ask once, wait
 * untouched, then enter on `yes` (no other notice: the post itself changes) or release the
 * stretch on `no`. A status still ours from the block just left goes back meanwhile (rule 13).
 */
function confirmStep(
  ctx: DecideContext,
  state: RememberedState,
  from: Handover | null,
  at: BlockNow,
  action: Exclude<StatusAction, 'none'>,
  judged: JudgedStatus,
  answer: 'yes' | 'no' | null
): Entered {
  if (answer === 'yes') {
    ctx.reasons.push('confirm-accepted')
    // The person asked for it: over their manual status too (like autopilot for the block), but
    // the end restores what they had, manual flag included (no autopilot flag).
    return enterWithStatus(ctx, { ...state, asked: false }, from, at, action, judged, false)
  }
  ctx.reasons.push(answer === 'no' ? 'confirm-declined' : state.asked ? 'confirm-waiting' : 'confirm-asked')
  const writes = from?.stillOurs ? restoreStatus(ctx, from) : []
  if (answer === 'no') {
    // Like rule 5 for the stretch: no status, and no custom status of ours.
    const released = { ...state, asked: false, released: true, statusEnd: at.stretch?.end ?? ctx.now, customReleased: true }
    return { state: released, writes, message: null, heldBack: true }
  }
  if (state.asked) return { state, writes, message: null, heldBack: true }
  const question = {
    blockStart: state.blockStart,
    blockEnd: state.blockEnd,
    stretchStart: at.stretch?.start ?? ctx.now,
    level: at.segment.level,
    action,
    statusEnd: at.statusRun.end
  }
  return { state: { ...state, asked: true }, writes, message: confirmNotice(question, ctx.items, ctx.now, ctx), heldBack: true }
}

/** Rule 6: set the status for the run of the block at now. */
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
  return { state: entered, writes, message: null, heldBack: false }
}

/** notify: one notice per stretch, when the service changed the status at its start. */
function withStretchNotice(ctx: DecideContext, entered: Entered, at: BlockNow, action: Exclude<StatusAction, 'none'>): Entered {
  const { state } = entered
  if (state.notified || entered.writes.length === 0) return entered
  const notice = stretchNotice(ctx, at.segment.level, action, at.statusRun.end, state.autopilot)
  return notice === null ? entered : { ...entered, state: { ...state, notified: true }, message: notice }
}

/** Rule 14 with the previous block's status still ours: no flicker to online between the blocks. */
function writesOverOwnStatus(ctx: DecideContext, from: Handover, action: Exclude<StatusAction, 'none'>, end: number): StatusWrite[] {
  if (action === 'dnd') return dndOverOwnStatus(from.prevStatus, dndSeconds(end))
  return action === ctx.current.status ? [] : [writeFor(action, end)]
}
