import { blockNow } from './block-now'
import type { BlockNow } from './block-now'
import { buildBlocks, type Block } from './build-blocks'
import { continueBlock, releaseForPause } from './continue-block'
import type { Continued } from './continue-block'
import { presentCustomStatus } from './custom-status-rules'
import type { DecideContext } from './decide-context'
import { clearLeftCustomStatus, decideCustomStatus } from './decide-custom-status'
import { enterBlock } from './enter-block'
import { entryTime } from './entry-time'
import { leaveBlock } from './leave-block'
import type { Left } from './leave-block'
import { freshRemembered, nextRemembered, worthRemembering } from './remembered-state'
import { MATTERMOST_GRACE_MS } from './status-rules'
import { DEFAULT_LOCALE } from './texts'
import type { CustomStatus, CustomStatusChange, Decision, DecisionInput, Notice, RememberedState, ScheduleItem, StatusWrite } from './types'

/** What a decision changes, before it is put in the shape of a Decision. */
interface Changes {
  writes: StatusWrite[]
  customStatus: CustomStatusChange | null
  message: Notice | null
  /** the state to remember, or null for none */
  next: RememberedState | null
}

/** The first item start or end after now ("nextWakeAt is never later than the next item boundary"). */
function nextItemBoundary(items: readonly ScheduleItem[], now: number): number | null {
  let best = Infinity
  for (const it of items) {
    if (it.startMs > now && it.startMs < best) best = it.startMs
    if (it.endMs > now && it.endMs < best) best = it.endMs
  }
  return best === Infinity ? null : best
}

function decision(ctx: DecideContext, remembered: RememberedState | null, changes: Changes): Decision {
  let nextWakeAt: number | null = null
  for (const t of ctx.wakeTimes) if (t > ctx.realNow && (nextWakeAt === null || t < nextWakeAt)) nextWakeAt = t
  return {
    statusWrites: changes.writes,
    customStatus: changes.customStatus,
    message: changes.message,
    remembered: nextRemembered(remembered, changes.next),
    nextWakeAt,
    reason: ctx.reasons[0] ?? 'no-block',
    reasons: ctx.reasons
  }
}

/** The decision of docs/status-rules.md: pure, `now` is an input, every path goes through here. */
export function decide(input: DecisionInput): Decision {
  const blocks = buildBlocks(input.items, input.settings)
  // Usually `now`; the next block's start when it may be entered early (docs/status-rules.md#early-starts).
  const lookedAt = entryTime(input, blocks)
  const d = decideAt(input, blocks, lookedAt)
  if (lookedAt === input.now || d.remembered?.blockStart === lookedAt) return d
  // Looked early and did not take the block on (the person is offline, already in that status,
  // or asked first): look again at the start itself, with what Mattermost says then.
  return { ...d, nextWakeAt: d.nextWakeAt !== null && d.nextWakeAt < lookedAt ? d.nextWakeAt : lookedAt }
}

function decideAt(input: DecisionInput, blocks: Block[], now: number): Decision {
  const { settings, remembered } = input
  const ctx: DecideContext = {
    now,
    realNow: input.now,
    settings,
    current: input.current,
    items: input.items,
    answer: input.answer ?? null,
    zone: input.timeZone,
    locale: input.locale ?? DEFAULT_LOCALE,
    language: input.language ?? 'en',
    reasons: [],
    wakeTimes: []
  }
  const currentCustom = presentCustomStatus(input.customStatus)
  if (!settings.enabled) return decision(ctx, remembered, disabled(ctx, remembered, currentCustom))
  const boundary = nextItemBoundary(input.items, now)
  if (boundary !== null) ctx.wakeTimes.push(boundary)
  const at = blockNow(blocks, remembered, now, settings)

  // Rule 1, pause: no changes until pausedUntil.
  if (settings.pausedUntil !== null && settings.pausedUntil > now) {
    ctx.reasons.push('rule-1-paused')
    ctx.wakeTimes.push(settings.pausedUntil)
    return decision(ctx, remembered, { writes: [], customStatus: null, message: null, next: releaseForPause(ctx, remembered, at) })
  }

  // Leaving the remembered block: it ended, or vanished (cancelled, declined).
  const leaving = remembered !== null && (at === null || !at.continuing)
  const left = leaving ? leaveBlock(ctx, remembered, at !== null, currentCustom) : null
  if (at === null) {
    const customStatus = clearLeftCustomStatus(ctx, left?.customToClear ?? null)
    return decision(ctx, remembered, { writes: left?.writes ?? [], customStatus, message: null, next: left?.waiting ?? null })
  }
  return decision(ctx, remembered, decideInBlock(ctx, at, remembered, left, currentCustom))
}

/**
 * Rule 1, disabled: as if the calendar were empty. What the service still holds is handed back
 * as when a block is cancelled (rules 13 and 18, with rule 13's wait for Mattermost's own
 * restore); then nothing is remembered and nothing is expected from time.
 */
function disabled(ctx: DecideContext, remembered: RememberedState | null, currentCustom: CustomStatus | null): Changes {
  ctx.reasons.push('rule-1-disabled')
  const left = remembered === null ? null : leaveBlock(ctx, remembered, false, currentCustom)
  const customStatus = clearLeftCustomStatus(ctx, left?.customToClear ?? null)
  return { writes: left?.writes ?? [], customStatus, message: null, next: left?.waiting ?? null }
}

/** A block is on at now: go on with the remembered one or enter a new one, then its custom status. */
function decideInBlock(ctx: DecideContext, at: BlockNow, remembered: RememberedState | null, left: Left | null, currentCustom: CustomStatus | null): Changes {
  const { block, segment } = at
  const continued: Continued =
    remembered !== null && at.continuing
      ? continueBlock(ctx, { ...remembered, blockEnd: block.end, level: segment.level }, at)
      : { state: freshRemembered(block.start, block.end, segment.level), writes: [], handover: left?.handover ?? null, enter: true }
  const entered = continued.enter ? enterBlock(ctx, continued.state, continued.handover, at) : null
  let state = entered?.state ?? continued.state
  const writes = entered === null ? continued.writes : [...continued.writes, ...entered.writes]

  // The block's message and question are per stretch too: free of any status, the next stretch
  // gets its own.
  if (at.stretch === null && state.setStatus === null && (state.notified || state.asked)) state = { ...state, notified: false, asked: false }

  const custom = decideCustomStatus(ctx, state, at, currentCustom, left?.customToClear ?? null, entered?.heldBack ?? false)
  state = custom.state

  // The user's own DND running out inside the block may let us enter it (rule 3): Mattermost
  // restores it itself, give it the minute.
  const { current } = ctx
  if (!state.released && state.setStatus === null && writes.length === 0 && current.status === 'dnd' && current.dndEndTime > 0) {
    ctx.wakeTimes.push(current.dndEndTime * 1000 + MATTERMOST_GRACE_MS)
  }
  return { writes, customStatus: custom.change, message: entered?.message ?? null, next: worthRemembering(state) ? state : null }
}
