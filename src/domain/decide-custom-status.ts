import type { BlockNow } from './block-now'
import { customTarget, isExpired, isSame, setChange, showsSegment } from './custom-status-rules'
import type { DecideContext } from './decide-context'
import type { CustomStatus, CustomStatusChange, RememberedState, SetCustomStatus } from './types'

/** The custom status part of the decision, and the state that remembers it. */
export interface CustomStatusDecided {
  state: RememberedState
  change: CustomStatusChange | null
}

/**
 * The custom status inside a block (rules 15-18 of docs/status-rules.md). `currentCustom` is
 * the one Mattermost shows (or null), `customToClear` ours from a block just left (rule 18),
 * `heldBack` true when rules 4 or 5 held back entering a new block, or an "Ask first" question
 * waits for its answer (docs/status-rules.md#confirm).
 */
export function decideCustomStatus(
  ctx: DecideContext,
  state: RememberedState,
  at: BlockNow,
  currentCustom: CustomStatus | null,
  customToClear: SetCustomStatus | null,
  heldBack: boolean
): CustomStatusDecided {
  const { settings, zone, locale } = ctx
  const ours = at.continuing && !state.customReleased ? state.setCustomStatus : null
  // Rule 10: ours already says what the segment needs, with or without its date: keep it as it is.
  const unchanged = ours !== null && isSame(currentCustom, ours) && showsSegment(ours, at.segment, settings, zone, locale)
  // Rules 16, 17: what the segment at now asks for. The text needs the user's zone.
  const target = unchanged ? ours : customTarget(at.segment, settings, zone, locale)
  // Expired custom statuses stay on the server but count as none (rule 15).
  const live = currentCustom !== null && !isExpired(currentCustom, ctx.realNow) ? currentCustom : null
  if (!at.continuing) return customOnEntering(ctx, state, target, live, customToClear, heldBack)
  if (state.customReleased || heldBack) return { state, change: null }
  return customInside(ctx, state, target, unchanged, currentCustom, live)
}

/** Rule 18 (docs/status-rules.md): clear ours from the block just left, if it still shows. */
export function clearLeftCustomStatus(ctx: DecideContext, customToClear: SetCustomStatus | null): CustomStatusChange | null {
  if (customToClear === null) return null
  ctx.reasons.push('rule-18-custom-status-cleared')
  return { action: 'clear' }
}

function setOurs(ctx: DecideContext, state: RememberedState, target: SetCustomStatus, reason: string): CustomStatusDecided {
  ctx.reasons.push(reason)
  return { state: { ...state, setCustomStatus: target }, change: setChange(target) }
}

/** Rule 15: the user's own custom status stays; its running out is a chance to set ours. */
function keepTheirs(ctx: DecideContext, live: CustomStatus): void {
  ctx.reasons.push('rule-15-user-custom-status-kept')
  const at = live.expiresAt ? Date.parse(live.expiresAt) : NaN
  if (Number.isFinite(at)) ctx.wakeTimes.push(at)
}

/** A new block: set ours when the user shows none, or only the one we left there (rules 15, 18). */
function customOnEntering(
  ctx: DecideContext,
  state: RememberedState,
  target: SetCustomStatus | null,
  live: CustomStatus | null,
  customToClear: SetCustomStatus | null,
  heldBack: boolean
): CustomStatusDecided {
  if (!heldBack && target !== null && (live === null || isSame(live, customToClear))) return setOurs(ctx, state, target, 'rule-15-custom-status-set')
  const change = clearLeftCustomStatus(ctx, customToClear)
  if (!heldBack && target !== null && live !== null) keepTheirs(ctx, live)
  return { state, change }
}

/** Inside the remembered block, ours not released: follow the segments (rules 9, 10, 15). */
function customInside(
  ctx: DecideContext,
  state: RememberedState,
  target: SetCustomStatus | null,
  unchanged: boolean,
  currentCustom: CustomStatus | null,
  live: CustomStatus | null
): CustomStatusDecided {
  const mine = state.setCustomStatus
  if (mine !== null && isSame(currentCustom, mine)) {
    if (target === null) {
      ctx.reasons.push('rule-9-custom-status-cleared')
      return { state: { ...state, setCustomStatus: null }, change: { action: 'clear' } }
    }
    return unchanged ? { state, change: null } : setOurs(ctx, state, target, 'rule-9-custom-status-changed')
  }
  if (mine !== null) {
    // The user replaced or removed ours during the block (Mattermost never removes one, even
    // expired): theirs for the rest of the block.
    ctx.reasons.push('rule-15-user-custom-status-kept')
    return { state: { ...state, setCustomStatus: null, customReleased: true }, change: null }
  }
  if (target === null) return { state, change: null }
  if (live === null) return setOurs(ctx, state, target, 'rule-15-custom-status-set')
  keepTheirs(ctx, live)
  return { state, change: null }
}
