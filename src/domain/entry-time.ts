import { blockAt, type Block } from './build-blocks'
import type { DecisionInput } from './types'

/**
 * The instant the rules look at the calendar (docs/status-rules.md#early-starts): `now`, or the
 * start of the next block when that block may be entered early. A block may be entered up to
 * `earlyEntryMs` before its start (the caller's pre-roll for a crowded minute); one entered
 * early stays entered until it starts. Ends are never early: inside a block, while paused or
 * disabled, or while an earlier block is still remembered, the answer is `now`.
 */
export function entryTime(input: DecisionInput, blocks: readonly Block[]): number {
  const { now, settings, remembered } = input
  if (!settings.enabled || (settings.pausedUntil !== null && settings.pausedUntil > now)) return now
  if (blockAt(blocks, now) !== null) return now
  const next = blocks.find((b) => b.start > now)
  if (next === undefined) return now
  let lead = Math.max(0, input.earlyEntryMs ?? 0)
  if (remembered !== null) {
    // An earlier block still remembered (its end not settled yet) is left at its own pace.
    if (remembered.blockStart <= now) return now
    // Entered early: it stays entered while it still starts then.
    lead = Math.max(lead, remembered.blockStart - now)
  }
  return next.start - now <= lead ? next.start : now
}
