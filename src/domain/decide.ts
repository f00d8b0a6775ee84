import { actionStretchAt, blockAt, buildBlocks, segmentIndexAt, statusRunAt } from './build-blocks'
import type { Block, Segment } from './build-blocks'
import { customTarget, isExpired, isSame, presentCustomStatus, setChange, showsSegment } from './custom-status-rules'
import { freshRemembered, nextRemembered, NO_STATUS, worthRemembering } from './remembered-state'
import { dndOverOwnStatus, dndSeconds, enterOutcome, MATTERMOST_GRACE_MS, ownership, restoreTarget, writeFor } from './status-rules'
import { DEFAULT_LOCALE, enteredMessage } from './texts'
import type { CustomStatusChange, Decision, DecisionInput, MmStatus, RememberedState, ScheduleItem, SetCustomStatus, StatusWrite } from './types'

/** Rule 14: what a block that just ended hands to the block that starts right away. */
interface Carry {
  prevStatus: MmStatus | null
  prevManual: boolean
  autopilot: boolean
  /** the status is still the one the service set (else Mattermost already restored it) */
  ours: boolean
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

/**
 * Inside a merged gap (mergeGapMinutes) the item before the gap may already have left the
 * schedule window (it starts a minute before now), so the gap looks like free time. The
 * remembered block says otherwise: when the next block starts within the gap and belongs to
 * the remembered block, the level carries on through the gap (Vocabulary, "Block").
 */
function blockAcrossGap(blocks: readonly Block[], r: RememberedState | null, now: number, gapMs: number): Block | null {
  if (r === null || gapMs <= 0) return null
  const next = blocks.find((b) => b.start > now)
  if (next === undefined || next.start - now > gapMs || next.start > r.blockEnd + gapMs) return null
  const gap: Segment = { start: now, end: next.start, level: r.level, subject: undefined, since: r.blockStart }
  return { start: Math.min(r.blockStart, next.start), end: next.end, segments: [gap, ...next.segments] }
}

/**
 * Rule 13, for a status the service still holds when its stretch is over: when the DND end
 * time has just passed, Mattermost's own expiry restores the exact previous status within the
 * minute, so wait for it; otherwise (ended early, cancelled, not DND, or Mattermost did not do
 * it in time) restore now.
 */
function leaveOwned(r: RememberedState, now: number): { writes: StatusWrite[]; waitUntil: number | null } {
  const endMs = r.setDndEndTime * 1000
  if (r.setStatus === 'dnd' && endMs > 0 && now >= endMs && now < endMs + MATTERMOST_GRACE_MS) {
    return { writes: [], waitUntil: endMs + MATTERMOST_GRACE_MS }
  }
  return { writes: [{ status: restoreTarget(r) }], waitUntil: null }
}

/** The decision of status-rules.md: pure, `now` is an input, every path goes through here. */
export function decide(input: DecisionInput): Decision {
  const { now, settings: s, current } = input
  const zone = input.timeZone
  const locale = input.locale ?? DEFAULT_LOCALE
  const R = input.remembered
  const reasons: string[] = []
  const wake: number[] = []
  const boundary = nextItemBoundary(input.items, now)
  if (boundary !== null) wake.push(boundary)

  const finish = (writes: StatusWrite[], change: CustomStatusChange | null, message: string | null, next: RememberedState | null): Decision => {
    let nextWakeAt: number | null = null
    for (const t of wake) if (t > now && (nextWakeAt === null || t < nextWakeAt)) nextWakeAt = t
    return {
      statusWrites: writes,
      customStatus: change,
      message,
      remembered: nextRemembered(R, next),
      nextWakeAt,
      reason: reasons[0] ?? 'no-block',
      reasons
    }
  }

  // Rule 1: disabled, remember nothing and expect nothing from time.
  if (!s.enabled) {
    reasons.push('rule-1-disabled')
    wake.length = 0
    return finish([], null, null, null)
  }

  const blocks = buildBlocks(input.items, s)
  const cur: Block | null = blockAt(blocks, now) ?? blockAcrossGap(blocks, R, now, s.mergeGapMinutes * 60000)
  const segIndex = cur ? segmentIndexAt(cur, now) : -1
  const seg: Segment | null = cur ? (cur.segments[segIndex] ?? null) : null
  const stretch = cur ? actionStretchAt(cur, segIndex, s) : null
  // The remembered block goes on when the block at now overlaps or touches it. Matching on
  // overlap rather than on the exact start: the schedule window starts a minute before now,
  // so earlier items of a long block drop out of it and the block's visible start moves.
  const continuing = R !== null && cur !== null && cur.start <= R.blockEnd + s.mergeGapMinutes * 60000

  // Pause: no changes until pausedUntil; a block the service owns is released, not restored.
  // A DND restores itself at its end time; an away or offline the service set does not, so it
  // stays remembered and is handed back at the block's end if the user has not changed it.
  if (s.pausedUntil !== null && s.pausedUntil > now) {
    reasons.push('rule-1-paused')
    wake.push(s.pausedUntil)
    let next: RememberedState | null = null
    const keepsStatus = R !== null && R.setStatus !== null && R.setStatus !== 'dnd'
    if (continuing && R !== null && cur !== null && seg !== null) {
      if (!R.released && (R.setStatus !== null || R.setCustomStatus !== null)) reasons.push('pause-released')
      next = {
        ...R,
        ...(keepsStatus ? {} : NO_STATUS),
        blockEnd: cur.end,
        level: seg.level,
        released: true,
        statusEnd: stretch?.end ?? now,
        setCustomStatus: null,
        customReleased: true
      }
    } else if (keepsStatus) next = R
    return finish([], null, null, next)
  }

  const raw = presentCustomStatus(input.customStatus)
  let writes: StatusWrite[] = []
  let change: CustomStatusChange | null = null
  let message: string | null = null
  let carry: Carry | null = null
  let waiting: RememberedState | null = null
  let leftCustom: SetCustomStatus | null = null

  // Leaving the remembered block: it ended, or vanished (cancelled, declined).
  if (R !== null && !continuing) {
    if (R.setStatus === null) {
      if (R.released) reasons.push('rule-11-released')
    } else {
      const own = ownership(R, current, now)
      if (own === 'changed') reasons.push('rule-12-status-changed')
      else if (own === 'restored') {
        reasons.push('rule-12-already-restored')
        carry = { prevStatus: R.prevStatus, prevManual: R.prevManual, autopilot: R.autopilot, ours: false }
      } else if (cur !== null) {
        // Rule 14: a new block is already on; entering it decides what to write.
        carry = { prevStatus: R.prevStatus, prevManual: R.prevManual, autopilot: R.autopilot, ours: true }
      } else {
        const leave = leaveOwned(R, now)
        writes = leave.writes
        if (leave.waitUntil !== null) {
          reasons.push('rule-13-waiting-for-mattermost')
          wake.push(leave.waitUntil)
          waiting = { ...R, setCustomStatus: null, customReleased: false }
        } else reasons.push('rule-13-restored')
      }
    }
    // Rule 18: clear our custom status only if it is still exactly ours (expired or not).
    if (isSame(raw, R.setCustomStatus)) leftCustom = R.setCustomStatus
  }

  // Rule 15: the user's own custom status running out is a chance to set ours.
  const wakeWhenExpires = (cs: { expiresAt?: string }): void => {
    const at = cs.expiresAt ? Date.parse(cs.expiresAt) : NaN
    if (Number.isFinite(at)) wake.push(at)
  }

  let next: RememberedState | null = waiting
  if (cur !== null && seg !== null) {
    const run = statusRunAt(cur, segIndex, s)
    const autopilotOn = s.autopilotUntil !== null && s.autopilotUntil > now
    let base: RememberedState = continuing && R !== null ? { ...R, blockEnd: cur.end, level: seg.level } : freshRemembered(cur.start, cur.end, seg.level)
    let tryEnter = !continuing
    let freshBlocked = false

    if (continuing) {
      if (base.released) {
        // A release lasts for the stretch that needed a status (statusEnd is its end as last
        // seen); a later meeting in the same block, after free time, is entered again.
        const over = stretch === null || base.statusEnd === null || stretch.start > base.statusEnd
        if (!over) {
          reasons.push('block-released')
          base = { ...base, statusEnd: stretch.end }
        } else {
          reasons.push('released-stretch-over')
          // Released by a pause while holding an away or offline (no end time of its own):
          // hand it back if it is still ours.
          if (base.setStatus !== null && ownership(base, current, now) === 'ours') {
            if (stretch === null) {
              writes = [{ status: restoreTarget(base) }]
              reasons.push('rule-13-restored')
            } else carry = { prevStatus: base.prevStatus, prevManual: base.prevManual, autopilot: base.autopilot, ours: true }
          }
          base = { ...base, ...NO_STATUS, released: false }
          tryEnter = true
        }
      } else if (base.setStatus !== null) {
        const own = ownership(base, current, now)
        if (own === 'ours') {
          if (run.action === 'none') {
            // The level that needed a status is over but the block goes on (e.g. a meeting
            // inside a day of working elsewhere): leave the status as at a block's end.
            const leave = leaveOwned(base, now)
            writes = leave.writes
            if (leave.waitUntil !== null) {
              reasons.push('rule-13-waiting-for-mattermost')
              wake.push(leave.waitUntil)
            } else {
              reasons.push('rule-13-restored')
              base = { ...base, ...NO_STATUS }
            }
          } else if (run.action === base.setStatus) {
            if (run.action === 'dnd') {
              const want = dndSeconds(run.end)
              if (want > base.setDndEndTime) {
                // Rule 8, longer: previous status back, then DND to the new end.
                writes = dndOverOwnStatus(base.prevStatus, want)
                base = { ...base, setDndEndTime: want, statusEnd: run.end }
                reasons.push('rule-8-extended')
              } else if (run.end !== base.statusEnd) {
                // Rule 8, shorter: restoring at the new end (rule 13) is enough.
                base = { ...base, statusEnd: run.end }
                reasons.push('rule-8-shortened')
              } else reasons.push('rule-10-no-change')
            } else {
              base = { ...base, statusEnd: run.end }
              reasons.push('rule-10-no-change')
            }
          } else {
            // Rule 9: the new level's status action differs.
            const want = run.action === 'dnd' ? dndSeconds(run.end) : 0
            writes = run.action === 'dnd' ? dndOverOwnStatus(base.prevStatus, want) : [writeFor(run.action, run.end)]
            base = { ...base, setStatus: run.action, setDndEndTime: want, statusEnd: run.end }
            reasons.push('rule-9-level-changed')
          }
        } else if (own === 'restored') {
          // Mattermost restored at the DND end and the block goes on (an extension seen
          // late): enter again with the same previous status (rule 14).
          reasons.push('rule-12-already-restored')
          carry = { prevStatus: base.prevStatus, prevManual: base.prevManual, autopilot: base.autopilot, ours: false }
          base = { ...base, ...NO_STATUS }
          tryEnter = true
        } else if (stretch === null) {
          // Rule 7, but no stretch needs a status any more (the meeting was cancelled inside a
          // longer block): nothing is left to release. Marking a release that ends now would be
          // undone by the very next evaluation (found by the idempotence property test).
          base = { ...base, ...NO_STATUS, released: false }
          reasons.push('rule-7-released', 'released-stretch-over')
          tryEnter = true
        } else {
          // Rule 7: the user changed it during the block.
          base = { ...base, ...NO_STATUS, released: true, statusEnd: stretch.end }
          reasons.push('rule-7-released')
        }
      } else tryEnter = true
    }

    if (tryEnter && !base.released) {
      // The status to judge: the current one, or for rule 14 the previous block's previous
      // status (Mattermost's restore drops the manual flag, the remembered one keeps it).
      let status: MmStatus = current.status
      let manual = current.manual
      if (carry?.ours) {
        status = carry.prevStatus ?? 'online'
        manual = carry.prevManual
      } else if (carry !== null && current.status === carry.prevStatus) manual = carry.prevManual
      const outcome = enterOutcome(run.action, status, manual, s, autopilotOn)
      reasons.push(outcome)
      if (outcome === 'rule-6-entered' && run.action !== 'none') {
        const action = run.action
        const want = action === 'dnd' ? dndSeconds(run.end) : 0
        let w: StatusWrite[]
        if (carry?.ours) {
          // Rule 14 with the status still ours: no flicker to online between the blocks.
          w = action === 'dnd' ? dndOverOwnStatus(carry.prevStatus, want) : action === current.status ? [] : [writeFor(action, run.end)]
          reasons.push('rule-14-next-block')
        } else {
          w = [writeFor(action, run.end)]
          if (carry !== null) reasons.push('rule-14-next-block')
        }
        writes = w
        const autopilot = (carry?.autopilot ?? false) || (autopilotOn && manual && status !== 'online')
        base = { ...base, setStatus: action, setDndEndTime: want, statusEnd: run.end, prevStatus: status, prevManual: manual, autopilot }
        // notify: one message per block, when the service changed the status at its start.
        if (s.notify && !base.notified && w.length > 0) {
          message = enteredMessage(seg.level, action, run.end, now, zone, locale, autopilot)
          base = { ...base, notified: true }
        }
      } else {
        if (carry?.ours) {
          writes = [{ status: restoreTarget(carry) }]
          reasons.push('rule-13-restored')
        }
        if (outcome === 'rule-5-manual-respected') {
          base = { ...base, released: true, statusEnd: stretch?.end ?? now, customReleased: base.customReleased || !continuing }
          freshBlocked = !continuing
        }
        // Rule 4: no change now, custom status included; a later evaluation may enter.
        if (outcome === 'rule-4-offline-skipped') freshBlocked = !continuing
      }
    }

    // The block's message is per stretch too: free of any status, the next stretch gets its own.
    if (stretch === null && base.setStatus === null && base.notified) base = { ...base, notified: false }

    // Custom status, rules 15-18. The text needs the user's zone: computed only when used.
    const mineNow = continuing && !base.customReleased ? base.setCustomStatus : null
    const unchanged = mineNow !== null && isSame(raw, mineNow) && showsSegment(mineNow, seg, s, zone, locale)
    const target = unchanged ? mineNow : customTarget(seg, s, zone, locale)
    const live = raw !== null && !isExpired(raw, now) ? raw : null
    if (!continuing) {
      if (!freshBlocked && target !== null && (live === null || isSame(live, leftCustom))) {
        change = setChange(target)
        base = { ...base, setCustomStatus: target }
        reasons.push('rule-15-custom-status-set')
      } else {
        if (leftCustom !== null) {
          change = { action: 'clear' }
          reasons.push('rule-18-custom-status-cleared')
        }
        if (!freshBlocked && target !== null && live !== null) {
          reasons.push('rule-15-user-custom-status-kept')
          wakeWhenExpires(live)
        }
      }
    } else if (!base.customReleased) {
      const mine = base.setCustomStatus
      if (mine !== null && isSame(raw, mine)) {
        if (target === null) {
          change = { action: 'clear' }
          base = { ...base, setCustomStatus: null }
          reasons.push('rule-9-custom-status-cleared')
        } else if (!unchanged) {
          change = setChange(target)
          base = { ...base, setCustomStatus: target }
          reasons.push('rule-9-custom-status-changed')
        }
      } else if (mine !== null) {
        // The user replaced or removed ours during the block (Mattermost never removes one,
        // even expired): theirs for the rest of the block.
        base = { ...base, setCustomStatus: null, customReleased: true }
        reasons.push('rule-15-user-custom-status-kept')
      } else if (target !== null) {
        if (live === null) {
          change = setChange(target)
          base = { ...base, setCustomStatus: target }
          reasons.push('rule-15-custom-status-set')
        } else {
          reasons.push('rule-15-user-custom-status-kept')
          wakeWhenExpires(live)
        }
      }
    }

    // The user's own DND running out inside the block may let us enter it (rule 3): Mattermost
    // restores it itself, give it the minute.
    if (!base.released && base.setStatus === null && writes.length === 0 && current.status === 'dnd' && current.dndEndTime > 0) {
      wake.push(current.dndEndTime * 1000 + MATTERMOST_GRACE_MS)
    }
    next = worthRemembering(base) ? base : null
  } else if (leftCustom !== null) {
    change = { action: 'clear' }
    reasons.push('rule-18-custom-status-cleared')
  }

  return finish(writes, change, message, next)
}
