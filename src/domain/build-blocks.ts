import { PRECEDENCE } from './availability'
import type { Availability, ScheduleItem, Settings, StatusAction } from './types'

/** A stretch of a block with one level (and one shown subject, rule 17). */
export interface Segment {
  start: number
  end: number
  level: Availability
  /** the subject to show, or undefined for the generic text */
  subject: string | undefined
  /** earliest start of the items giving the level: "until <date>" is judged from it (rule 16) */
  since: number
}

/** A maximal run of actionable items, overlapping or closer than mergeGapMinutes. */
export interface Block {
  start: number
  end: number
  segments: Segment[]
}

/** An availability takes part in blocks when it maps to a status action or a custom status. */
export function isActionable(availability: Availability, settings: Settings): boolean {
  const entry = settings.mapping[availability]
  return entry.status !== 'none' || (settings.customStatus && entry.customStatus !== null)
}

function segmentsOf(items: ScheduleItem[], showSubject: boolean): Segment[] {
  const cuts = new Set<number>()
  for (const it of items) {
    cuts.add(it.startMs)
    cuts.add(it.endMs)
  }
  const times = [...cuts].sort((a, b) => a - b)
  const out: Segment[] = []
  let level: Availability = 'free'
  let subject: string | undefined
  let since = times[0] ?? 0
  for (let i = 0; i + 1 < times.length; i++) {
    const a = times[i] as number
    const b = times[i + 1] as number
    let best = -1
    let covered = false
    let privateAtLevel = false
    let first: string | undefined
    let earliest = a
    for (const it of items) {
      if (it.startMs > a || it.endMs <= a) continue
      const p = PRECEDENCE[it.availability]
      if (p > best) {
        best = p
        covered = true
        level = it.availability
        privateAtLevel = it.isPrivate
        first = it.subject
        earliest = it.startMs
      } else if (p === best) {
        privateAtLevel ||= it.isPrivate
        first ??= it.subject
        if (it.startMs < earliest) earliest = it.startMs
      }
    }
    // Inside a merged gap nothing covers the time: the level carries on, so back-to-back
    // meetings with a short break never flicker (Vocabulary, "Block").
    // Rule 17: a subject only when opted in, and never when a private item is at that level.
    if (covered) {
      subject = showSubject && !privateAtLevel ? first : undefined
      since = earliest
    }
    const last = out[out.length - 1]
    if (last && last.end === a && last.level === level && last.subject === subject) last.end = b
    else out.push({ start: a, end: b, level, subject, since })
  }
  return out
}

/**
 * Blocks from schedule items (Vocabulary): items that map to an action, merged when they
 * overlap or the gap between them is at most mergeGapMinutes; each block cut into segments
 * by level (precedence oof > busy > tentative > workingElsewhere > free).
 */
export function buildBlocks(items: readonly ScheduleItem[], settings: Settings): Block[] {
  const gapMs = settings.mergeGapMinutes * 60000
  const usable = items
    .filter((it) => Number.isFinite(it.startMs) && Number.isFinite(it.endMs) && it.endMs > it.startMs && isActionable(it.availability, settings))
    .sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs)
  const groups: { start: number; end: number; items: ScheduleItem[] }[] = []
  for (const it of usable) {
    const g = groups[groups.length - 1]
    if (g && it.startMs <= g.end + gapMs) {
      g.items.push(it)
      if (it.endMs > g.end) g.end = it.endMs
    } else {
      groups.push({ start: it.startMs, end: it.endMs, items: [it] })
    }
  }
  return groups.map((g) => ({ start: g.start, end: g.end, segments: segmentsOf(g.items, settings.showSubject) }))
}

export function blockAt(blocks: readonly Block[], now: number): Block | null {
  for (const b of blocks) if (b.start <= now && now < b.end) return b
  return null
}

export function segmentIndexAt(block: Block, now: number): number {
  const segs = block.segments
  for (let i = 0; i < segs.length; i++) if ((segs[i] as Segment).end > now) return i
  return segs.length - 1
}

/** The run of segments from index i on whose level maps to the same status action. */
export function statusRunAt(block: Block, i: number, settings: Settings): { action: StatusAction; end: number } {
  const segs = block.segments
  const action = settings.mapping[(segs[i] as Segment).level].status
  let j = i
  while (j + 1 < segs.length && settings.mapping[(segs[j + 1] as Segment).level].status === action) j++
  return { action, end: (segs[j] as Segment).end }
}

/**
 * The stretch around segment i in which some status action applies, or null when the level
 * at i changes no status. A release (rules 5, 7, pause) and the block's message last for such
 * a stretch: a day of working elsewhere (custom status only) is one block, but each meeting
 * in it is its own stretch.
 */
export function actionStretchAt(block: Block, i: number, settings: Settings): { start: number; end: number } | null {
  const segs = block.segments
  const acts = (k: number): boolean => settings.mapping[(segs[k] as Segment).level].status !== 'none'
  if (!acts(i)) return null
  let a = i
  let b = i
  while (a > 0 && acts(a - 1)) a--
  while (b + 1 < segs.length && acts(b + 1)) b++
  return { start: (segs[a] as Segment).start, end: (segs[b] as Segment).end }
}
