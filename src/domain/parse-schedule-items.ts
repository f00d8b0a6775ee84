import { DateTime } from 'luxon'
import { normalizeAvailability } from './availability'
import { resolveTimeZone, UTC_ZONE } from './resolve-time-zone'
import { ScheduleParseError } from './schedule-parse-error'
import type { GraphDateTimeTimeZone, GraphScheduleItem, ScheduleItem } from './types'

// `2026-03-15T12:00:00.0000000`; an explicit offset, if one ever comes, wins over timeZone.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}:?\d{2})?$/

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function invalid(value: string): ScheduleParseError {
  return new ScheduleParseError('invalid-date-time', value, `invalid date-time "${value}" in the schedule`)
}

const digit = (s: string, i: number): number => s.charCodeAt(i) - 48

/**
 * Graph's usual shape, `2026-03-15T12:00:00.0000000` in UTC, read without a regular
 * expression (the sync parses every item of every user): NaN when it is anything else.
 */
function fastUtc(text: string): number {
  const n = text.length
  if (n < 19 || text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':') return NaN
  let ms = 0
  if (n > 19) {
    if (text[19] !== '.') return NaN
    for (let i = 20; i < n; i++) {
      const d = digit(text, i)
      if (d < 0 || d > 9) return NaN
      if (i < 23) ms = ms * 10 + d
    }
    for (let i = Math.min(n, 23); i < 23; i++) ms *= 10
  }
  let year = 0
  for (let i = 0; i < 4; i++) year = year * 10 + digit(text, i)
  const two = (i: number): number => digit(text, i) * 10 + digit(text, i + 1)
  const month = two(5)
  const day = two(8)
  const hour = two(11)
  const minute = two(14)
  const second = two(17)
  if (!(
    year >= 0 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 28 &&
    hour >= 0 &&
    hour <= 23 &&
    minute >= 0 &&
    minute <= 59 &&
    second >= 0 &&
    second <= 59
  ))
    return NaN
  return Date.UTC(year, month - 1, day, hour, minute, second, ms)
}

/** One Graph dateTimeTimeZone to UTC epoch ms (times are UTC; the zone only reads the input). */
export function parseGraphDateTime(value: GraphDateTimeTimeZone): number {
  const text = typeof value?.dateTime === 'string' ? value.dateTime : ''
  if (resolveTimeZone(value?.timeZone) === UTC_ZONE) {
    const fast = fastUtc(text)
    if (!Number.isNaN(fast)) return fast
  }
  return parseSlow(text.trim(), value)
}

function parseSlow(text: string, value: GraphDateTimeTimeZone): number {
  const m = DATE_TIME.exec(text)
  if (!m) throw invalid(text)
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const hour = Number(m[4])
  const minute = Number(m[5])
  const second = m[6] === undefined ? 0 : Number(m[6])
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000)
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  const maxDay = month === 2 && !leap ? 28 : (DAYS_IN_MONTH[month - 1] ?? 0)
  if (month < 1 || month > 12 || day < 1 || day > maxDay || hour > 23 || minute > 59 || second > 59) throw invalid(text)
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms)
  const offset = m[8]
  if (offset !== undefined) {
    if (offset === 'Z') return wall
    const sign = offset[0] === '-' ? -1 : 1
    const digits = offset.slice(1).replace(':', '')
    return wall - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60000
  }
  const zone = resolveTimeZone(value.timeZone)
  if (zone === UTC_ZONE) return wall
  // Wall-clock time in a real zone (luxon moves a time inside a DST gap forward, like Outlook).
  const dt = DateTime.fromObject({ year, month, day, hour, minute, second, millisecond: ms }, { zone })
  if (!dt.isValid) throw invalid(text)
  return dt.toMillis()
}

function tidy(subject: string): string {
  return /\s\s|[^\S ]/.test(subject) ? subject.replace(/\s+/g, ' ').trim() : subject.trim()
}

/**
 * Graph `scheduleItems` to UTC items. Status is compared case-insensitively, `unknown` counts
 * as free. Throws ScheduleParseError on an unknown zone or an unreadable time: the caller must
 * see it rather than act on a schedule shifted by a guessed zone.
 */
export function parseScheduleItems(raw: readonly GraphScheduleItem[]): ScheduleItem[] {
  const out: ScheduleItem[] = []
  for (const item of raw) {
    const startMs = parseGraphDateTime(item.start)
    const endMs = parseGraphDateTime(item.end)
    const parsed: ScheduleItem = { startMs, endMs, availability: normalizeAvailability(item.status), isPrivate: item.isPrivate === true }
    const subject = typeof item.subject === 'string' ? tidy(item.subject) : ''
    if (subject !== '') parsed.subject = subject
    out.push(parsed)
  }
  return out
}
