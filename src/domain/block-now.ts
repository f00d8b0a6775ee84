import { actionStretchAt, blockAt, segmentIndexAt, statusRunAt } from './build-blocks'
import type { Block, Segment } from './build-blocks'
import type { RememberedState, Settings, StatusAction } from './types'

/** The block at now and where in it now falls. */
export interface BlockNow {
  block: Block
  /** the segment at now: its level and subject */
  segment: Segment
  /** the stretch around now in which a status applies, or null (releases and messages last for it) */
  stretch: { start: number; end: number } | null
  /** the status to set from now on and the end of the segments that share it */
  statusRun: { action: StatusAction; end: number }
  /** the remembered block goes on (rules 7-10) rather than a new one starting (rules 2-6) */
  continuing: boolean
}

/**
 * Inside a merged gap (mergeGapMinutes) the item before the gap may already have left the
 * schedule window (it starts a minute before now), so the gap looks like free time. The
 * remembered block says otherwise: when the next block starts within the gap and belongs to
 * the remembered block, the level carries on through the gap (docs/status-rules.md#blocks-segments-runs-and-stretches).
 */
function blockAcrossGap(blocks: readonly Block[], remembered: RememberedState | null, now: number, gapMs: number): Block | null {
  if (remembered === null || gapMs <= 0) return null
  const next = blocks.find((b) => b.start > now)
  if (next === undefined || next.start - now > gapMs || next.start > remembered.blockEnd + gapMs) return null
  const gap: Segment = { start: now, end: next.start, level: remembered.level, subject: undefined, since: remembered.blockStart }
  return { start: Math.min(remembered.blockStart, next.start), end: next.end, segments: [gap, ...next.segments] }
}

/** The block at now, or null when now is outside every block. */
export function blockNow(blocks: readonly Block[], remembered: RememberedState | null, now: number, settings: Settings): BlockNow | null {
  const gapMs = settings.mergeGapMinutes * 60000
  const block = blockAt(blocks, now) ?? blockAcrossGap(blocks, remembered, now, gapMs)
  if (block === null) return null
  const index = segmentIndexAt(block, now)
  return {
    block,
    // A block always has a segment: it is made of at least one item longer than zero.
    segment: block.segments[index] as Segment,
    stretch: actionStretchAt(block, index, settings),
    statusRun: statusRunAt(block, index, settings),
    // The remembered block goes on when the block at now overlaps or touches it. Matching on
    // overlap rather than on the exact start: the schedule window starts a minute before now,
    // so earlier items of a long block drop out of it and the block's visible start moves.
    continuing: remembered !== null && block.start <= remembered.blockEnd + gapMs
  }
}
