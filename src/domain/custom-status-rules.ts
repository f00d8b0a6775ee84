import type { Segment } from './build-blocks'
import { composeCustomStatusText, customStatusText, untilDateSuffix } from './texts'
import type { CustomStatus, CustomStatusChange, SetCustomStatus, Settings } from './types'

/** A custom status with neither emoji nor text is no custom status. */
export function presentCustomStatus(cs: CustomStatus | null | undefined): CustomStatus | null {
  if (!cs) return null
  if ((cs.emoji ?? '') === '' && (cs.text ?? '') === '') return null
  return cs
}

/**
 * Expired custom statuses stay on the server (clients only hide them), so an expired one counts
 * as none for rule 15. Mattermost writes "no expiry" as year 1 or leaves it out.
 */
export function isExpired(cs: CustomStatus, now: number): boolean {
  if (!cs.expiresAt) return false
  const t = Date.parse(cs.expiresAt)
  return Number.isFinite(t) && t > 0 && t <= now
}

/** Rules 15, 18: exactly the one the service set, compared on emoji and text. */
export function isSame(cs: CustomStatus | null, set: SetCustomStatus | null): boolean {
  return cs !== null && set !== null && cs.emoji === set.emoji && cs.text === set.text
}

/** Rules 16, 17: the custom status for the segment at now, or null when none applies. */
export function customTarget(seg: Segment, settings: Settings, zone: string, locale: string): SetCustomStatus | null {
  const tpl = settings.mapping[seg.level].customStatus
  if (!settings.customStatus || tpl === null) return null
  return {
    emoji: tpl.emoji,
    text: customStatusText(tpl, seg.subject, seg.since, seg.end, zone, locale),
    // Rule 16: expires with the stretch it describes, so clients hide it even if we are down.
    expiresAt: new Date(seg.end).toISOString()
  }
}

/**
 * Rule 10 for the custom status: whether ours already says what the segment at now needs.
 * With or without its " until <date>" it reads the same, so it is not rewritten when only
 * the date's presence would change (that depends on where the schedule window starts).
 */
export function showsSegment(mine: SetCustomStatus, seg: Segment, settings: Settings, zone: string, locale: string): boolean {
  const tpl = settings.mapping[seg.level].customStatus
  if (!settings.customStatus || tpl === null) return false
  if (mine.emoji !== tpl.emoji || mine.expiresAt !== new Date(seg.end).toISOString()) return false
  return (
    mine.text === composeCustomStatusText(tpl, seg.subject, '') ||
    mine.text === composeCustomStatusText(tpl, seg.subject, untilDateSuffix(seg.end, zone, locale))
  )
}

export function setChange(cs: SetCustomStatus): CustomStatusChange {
  return { action: 'set', emoji: cs.emoji, text: cs.text, expiresAt: cs.expiresAt, duration: 'date_and_time' }
}
