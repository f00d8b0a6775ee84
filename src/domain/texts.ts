import { DateTime, IANAZone } from 'luxon'
import type { EngineTexts } from './engine-texts'
import type { CustomStatusTemplate } from './types'

// Texts for people: the user's time zone shapes them, never the decision (Invariants).

/** Mattermost cuts a custom status text at 100 characters (rule 16). */
export const MAX_CUSTOM_STATUS_LENGTH = 100

export const DEFAULT_LOCALE = 'en-GB'

export function local(ms: number, zone: string, locale: string): DateTime {
  const dt = DateTime.fromMillis(ms, { zone, locale })
  // A zone Mattermost holds but the runtime does not know: texts in UTC rather than no text.
  return dt.isValid ? dt : DateTime.fromMillis(ms, { zone: 'UTC', locale })
}

export const DATE = { weekday: 'short', day: 'numeric', month: 'short' } as const
export const TIME = { hour: '2-digit', minute: '2-digit' } as const

/** Cut to `max` characters (code points, as Mattermost counts), ending with an ellipsis. */
export function truncate(text: string, max: number): string {
  const chars = [...text]
  if (chars.length <= max) return text
  return (
    chars
      .slice(0, Math.max(0, max - 1))
      .join('')
      .trimEnd() + '…'
  )
}

/**
 * The last local day an end instant covers: an all-day event ends at the next midnight, and
 * "until Wed 3 Dec" must name Wednesday, the last day away, not Thursday.
 */
function lastDay(endMs: number, zone: string, locale: string): DateTime {
  return local(endMs - 1, zone, locale)
}

/** " until Wed 18 Mar": the last local day a stretch ending at endMs covers. */
export function untilDateSuffix(endMs: number, zone: string, locale: string): string {
  return ` until ${lastDay(endMs, zone, locale).toLocaleString(DATE)}`
}

const QUARTER_HOUR = 15 * 60_000
const offsets = new Map<string, number>()

/**
 * The local calendar day of an instant, as a number, for comparing days without building
 * dates: asked on every evaluation inside a block. Offsets change on whole quarter hours
 * (DST transitions), so they are cached per zone and quarter hour.
 */
export function localDay(ms: number, zone: string): number {
  const bucket = Math.floor(ms / QUARTER_HOUR)
  const key = `${zone}|${bucket}`
  let offset = offsets.get(key)
  if (offset === undefined) {
    const z = IANAZone.create(zone)
    offset = z.isValid ? z.offset(bucket * QUARTER_HOUR) : 0
    if (offsets.size > 50_000) offsets.clear()
    offsets.set(key, offset)
  }
  return Math.floor((ms + offset * 60_000) / 86_400_000)
}

/**
 * Custom status text (rules 16, 17): the mapping's text, the subject when it may be shown,
 * and " until <local date>" when the stretch ends on a later local day than it started.
 * At most 100 characters; the subject is shortened first.
 */
export function customStatusText(tpl: CustomStatusTemplate, subject: string | undefined, startMs: number, endMs: number, zone: string, locale: string): string {
  const multiDay = localDay(endMs - 1, zone) !== localDay(startMs, zone)
  return composeCustomStatusText(tpl, subject, multiDay ? untilDateSuffix(endMs, zone, locale) : '')
}

export function composeCustomStatusText(tpl: CustomStatusTemplate, subject: string | undefined, suffix: string): string {
  const base = tpl.text
  if (subject === undefined) return truncate(base + suffix, MAX_CUSTOM_STATUS_LENGTH)
  const room = MAX_CUSTOM_STATUS_LENGTH - [...base].length - [...suffix].length - (base === '' ? 0 : 2)
  if (room < 4) return truncate(base + suffix, MAX_CUSTOM_STATUS_LENGTH)
  const shown = truncate(subject, room)
  return base === '' ? shown + suffix : `${base}: ${shown}${suffix}`
}

/** "until 15:30" today, "until Thu 4 Dec, 14:00" on a later day, "until the end of Wed 3 Dec". */
export function untilText(endMs: number, nowMs: number, zone: string, locale: string, words: EngineTexts['until']): string {
  const now = local(nowMs, zone, locale)
  const end = local(endMs, zone, locale)
  if (end.hasSame(now, 'day')) return words.time(end.toLocaleString(TIME))
  if (end.hour === 0 && end.minute === 0 && end.second === 0) {
    const last = lastDay(endMs, zone, locale)
    return last.hasSame(now, 'day') ? words.endOfToday : words.endOf(last.toLocaleString(DATE))
  }
  return words.dateTime(end.toLocaleString(DATE), end.toLocaleString(TIME))
}
