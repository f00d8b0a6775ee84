import { DateTime } from 'luxon'
import { MAX_DURATION_DAYS, MIN_DURATION_MS } from './command'

// How long a pause or an autopilot lasts, from the words after the sub-command (issue 16):
// `30m`, `90 min`, `1h30m`, `2 hours`, `1d`; `until 17:00`, `until 5pm`, `until tomorrow 9:00`,
// `until tomorrow`, `until monday 9:00`. A length is absolute time (2h is 2h across a DST
// change); an `until` is wall-clock time in the person's zone, as they read their own clock.

export type DurationResult =
  { ok: true; untilMs: number } | { ok: false; reason: 'bad' | 'too-short' | 'too-long' | 'past' } | { ok: false; reason: 'no-unit'; amount: string }

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const MAX_MS = MAX_DURATION_DAYS * DAY

const UNIT_MS: Readonly<Record<string, number>> = {
  m: MINUTE,
  min: MINUTE,
  mins: MINUTE,
  minute: MINUTE,
  minutes: MINUTE,
  h: HOUR,
  hr: HOUR,
  hrs: HOUR,
  hour: HOUR,
  hours: HOUR,
  d: DAY,
  day: DAY,
  days: DAY,
  w: 7 * DAY,
  week: 7 * DAY,
  weeks: 7 * DAY
}

const UNTIL_WORDS = new Set(['until', 'till', 'til'])
const WEEKDAYS: readonly (readonly string[])[] = [
  ['monday', 'mon'],
  ['tuesday', 'tue', 'tues'],
  ['wednesday', 'wed'],
  ['thursday', 'thu', 'thurs'],
  ['friday', 'fri'],
  ['saturday', 'sat'],
  ['sunday', 'sun']
]

/** `words` are lower-case and non-empty; `now` epoch ms; `zone` IANA (an unknown one reads as UTC). */
export function parseDuration(words: readonly string[], now: number, zone: string): DurationResult {
  const rest = words[0] === 'for' ? words.slice(1) : words
  const first = rest[0]
  if (first !== undefined && UNTIL_WORDS.has(first)) return bounded(parseUntil(rest.slice(1), now, zone), now)
  return bounded(
    parseLength(
      rest.filter((w) => w !== 'and'),
      now
    ),
    now
  )
}

function bounded(r: DurationResult, now: number): DurationResult {
  if (!r.ok) return r
  const length = r.untilMs - now
  if (!Number.isFinite(length) || length > MAX_MS) return { ok: false, reason: 'too-long' }
  if (length < MIN_DURATION_MS) return { ok: false, reason: 'too-short' }
  return r
}

// Digits and letters alternate, so the pattern cannot backtrack badly on long input.
const LENGTH = /^(?:\d+(?:[.,]\d+)?[a-z]+)+$/
const PART = /(\d+(?:[.,]\d+)?)([a-z]+)/g

/** `1h30m`, `90 min`, `1 hour and 30 minutes`: the sum of the parts, from now. */
function parseLength(words: readonly string[], now: number): DurationResult {
  const joined = words.join('')
  if (/^\d+(?:[.,]\d+)?$/.test(joined)) return { ok: false, reason: 'no-unit', amount: joined }
  if (!LENGTH.test(joined)) return { ok: false, reason: 'bad' }
  let total = 0
  for (const [, amount, unit] of joined.matchAll(PART)) {
    const ms = UNIT_MS[unit as string]
    if (ms === undefined) return { ok: false, reason: 'bad' }
    total += Number((amount as string).replace(',', '.')) * ms
  }
  return { ok: true, untilMs: now + total }
}

interface ClockTime {
  hour: number
  minute: number
}

type Day = { kind: 'today' } | { kind: 'tomorrow' } | { kind: 'weekday'; weekday: number }

/** `17:00`, `17.00`, `17h30`, `17`, `5pm`, `5:30 pm`, `noon`, `midnight`. */
const CLOCK = /^(\d{1,2})(?:[:.h](\d{2}))?(h|am|pm|a\.m\.|p\.m\.)?$/

function parseClock(text: string): ClockTime | null {
  if (text === 'noon') return { hour: 12, minute: 0 }
  if (text === 'midnight') return { hour: 0, minute: 0 }
  const m = CLOCK.exec(text)
  if (!m) return null
  let hour = Number(m[1])
  const minute = m[2] === undefined ? 0 : Number(m[2])
  const half = m[3]?.[0]
  if (minute > 59) return null
  if (half === 'a' || half === 'p') {
    if (hour < 1 || hour > 12) return null
    hour = (hour % 12) + (half === 'p' ? 12 : 0)
  } else if (hour > 23) return null
  return { hour, minute }
}

function parseDay(word: string): Day | null {
  if (word === 'today') return { kind: 'today' }
  if (word === 'tomorrow' || word === 'tmrw' || word === 'tmr') return { kind: 'tomorrow' }
  const i = WEEKDAYS.findIndex((names) => names.includes(word))
  return i < 0 ? null : { kind: 'weekday', weekday: i + 1 }
}

/** The words after `until`: a day, a time or both, in either order. */
function parseUntil(words: readonly string[], now: number, zone: string): DurationResult {
  const days = words.map(parseDay)
  const dayIndex = days.findIndex((d) => d !== null)
  if (days.filter((d) => d !== null).length > 1) return { ok: false, reason: 'bad' }
  const day = dayIndex < 0 ? null : (days[dayIndex] ?? null)
  const clockText = words.filter((_, i) => i !== dayIndex).join('')
  const clock = clockText === '' ? null : parseClock(clockText)
  if (clockText !== '' && clock === null) return { ok: false, reason: 'bad' }
  if (clock === null && (day === null || day.kind === 'today')) return { ok: false, reason: 'bad' }
  const base = localNow(now, zone)
  const untilMs = resolveUntil(base, day, clock)
  if (untilMs === null) return { ok: false, reason: 'past' }
  return { ok: true, untilMs }
}

function localNow(now: number, zone: string): DateTime {
  const dt = DateTime.fromMillis(now, { zone })
  // A zone the runtime does not know: UTC rather than no answer (as src/domain/texts.ts does).
  return dt.isValid ? dt : DateTime.fromMillis(now, { zone: 'UTC' })
}

const at = (d: DateTime, c: ClockTime): DateTime => d.set({ hour: c.hour, minute: c.minute, second: 0, millisecond: 0 })

/**
 * The instant meant, by wall-clock arithmetic in the person's zone. A time alone that has passed
 * today means tomorrow (the reply shows the date, so the choice is visible); a day alone means
 * its start, so `until tomorrow` pauses for the rest of today.
 */
function resolveUntil(base: DateTime, day: Day | null, clock: ClockTime | null): number | null {
  const now = base.toMillis()
  if (day === null) {
    const today = at(base, clock as ClockTime)
    return (today.toMillis() > now ? today : at(base.plus({ days: 1 }), clock as ClockTime)).toMillis()
  }
  if (day.kind === 'today') {
    const today = at(base, clock as ClockTime)
    return today.toMillis() > now ? today.toMillis() : null
  }
  const ahead = day.kind === 'tomorrow' ? 1 : (day.weekday - base.weekday + 7) % 7
  if (clock === null)
    return base
      .plus({ days: ahead === 0 ? 7 : ahead })
      .startOf('day')
      .toMillis()
  const target = at(base.plus({ days: ahead }), clock)
  return (target.toMillis() > now ? target : at(base.plus({ days: ahead + 7 }), clock)).toMillis()
}
