import { IANAZone } from 'luxon'
import { ScheduleParseError } from './schedule-parse-error'
import { WINDOWS_ZONES } from './windows-zones'

/** Marker for UTC, so the common case (Graph answers in UTC) needs no zone arithmetic. */
export const UTC_ZONE = 'UTC'

const UTC_NAMES = new Set([
  '',
  'utc',
  'etc/utc',
  'gmt',
  'etc/gmt',
  'z',
  'zulu',
  'coordinated universal time',
  'tzone://microsoft/utc',
  'utc+0',
  'utc+00:00',
  'etc/universal',
  'universal'
])

const WINDOWS_BY_LOWER = new Map(Object.entries(WINDOWS_ZONES).map(([k, v]) => [k.toLowerCase(), v]))

const cache = new Map<string, string>()

/**
 * A Graph `timeZone` (Windows or IANA name, any casing) to an IANA name, or UTC_ZONE.
 * An absent zone is UTC, Graph's default when no `Prefer: outlook.timezone` is sent.
 * An unknown name throws ScheduleParseError: a guessed zone would move meetings by hours.
 */
export function resolveTimeZone(name: string | null | undefined): string {
  const raw = typeof name === 'string' ? name.trim() : ''
  const hit = cache.get(raw)
  if (hit !== undefined) return hit
  const lower = raw.toLowerCase()
  let zone: string | undefined
  if (UTC_NAMES.has(lower)) zone = UTC_ZONE
  else zone = WINDOWS_BY_LOWER.get(lower) ?? (IANAZone.isValidZone(raw) ? raw : undefined)
  if (zone === 'Etc/UTC') zone = UTC_ZONE
  if (zone === undefined) throw new ScheduleParseError('unknown-time-zone', raw, `unknown time zone "${raw}" in the schedule`)
  if (cache.size < 1000) cache.set(raw, zone)
  return zone
}
