import { DateTime } from 'luxon'

// Graph's {dateTime, timeZone} pairs: a local dateTime without offset plus a zone name
// (UTC, an IANA name, or a Windows name), and the answers' "2026-03-15T12:00:00.0000000".

const WINDOWS_ZONES: Record<string, string> = {
  utc: 'UTC',
  'coordinated universal time': 'UTC',
  'gmt standard time': 'Europe/London',
  'greenwich standard time': 'Atlantic/Reykjavik',
  'w. europe standard time': 'Europe/Berlin',
  'central europe standard time': 'Europe/Budapest',
  'central european standard time': 'Europe/Warsaw',
  'romance standard time': 'Europe/Paris',
  'e. europe standard time': 'Europe/Chisinau',
  'fle standard time': 'Europe/Kiev',
  'eastern standard time': 'America/New_York',
  'central standard time': 'America/Chicago',
  'mountain standard time': 'America/Denver',
  'pacific standard time': 'America/Los_Angeles',
  'tokyo standard time': 'Asia/Tokyo',
  'india standard time': 'Asia/Kolkata',
  'china standard time': 'Asia/Shanghai',
  'aus eastern standard time': 'Australia/Sydney'
}

/** The IANA zone for a Graph time zone name, or undefined when Graph would not know it. */
export function resolveZone(name: string): string | undefined {
  const trimmed = name.trim()
  if (!trimmed) return undefined
  const windows = WINDOWS_ZONES[trimmed.toLowerCase()]
  if (windows) return windows
  if (/^utc$/i.test(trimmed) || /^etc\/utc$/i.test(trimmed)) return 'UTC'
  return DateTime.now().setZone(trimmed).isValid ? trimmed : undefined
}

export type ParsedTime = { ok: true; ms: number } | { ok: false; message: string }

/** `{dateTime, timeZone}` to epoch ms. An offset in the dateTime (Z, +01:00) wins over the zone. */
export function parseDateTimeTimeZone(value: unknown, field: string): ParsedTime {
  if (typeof value !== 'object' || value === null) return { ok: false, message: `The property '${field}' is required and must be a dateTimeTimeZone.` }
  const v = value as { dateTime?: unknown; timeZone?: unknown }
  if (typeof v.dateTime !== 'string' || !v.dateTime) return { ok: false, message: `${field}.dateTime is required.` }
  const zoneName = typeof v.timeZone === 'string' && v.timeZone ? v.timeZone : 'UTC'
  const zone = resolveZone(zoneName)
  if (!zone) return { ok: false, message: `The time zone '${zoneName}' is not supported.` }
  const dt = DateTime.fromISO(v.dateTime, { zone })
  if (!dt.isValid) return { ok: false, message: `Cannot convert the literal '${v.dateTime}' to the expected type 'Edm.DateTime'.` }
  return { ok: true, ms: dt.toMillis() }
}

/** An answer's `{dateTime: '2026-03-15T12:00:00.0000000', timeZone}` in the given zone. */
export function formatDateTimeTimeZone(ms: number, zoneName = 'UTC'): { dateTime: string; timeZone: string } {
  const zone = resolveZone(zoneName) ?? 'UTC'
  const dt = DateTime.fromMillis(ms, { zone })
  return { dateTime: `${dt.toFormat("yyyy-MM-dd'T'HH:mm:ss")}.${dt.toFormat('SSS')}0000`, timeZone: zone === 'UTC' ? 'UTC' : zoneName }
}

/** `Prefer: outlook.timezone="Europe/Berlin"` (several Prefer values may be comma-joined). */
export function preferredZone(prefer: string | undefined): string | undefined {
  if (!prefer) return undefined
  const m = /outlook\.timezone\s*=\s*"([^"]*)"/i.exec(prefer)
  if (!m || !m[1]) return undefined
  return resolveZone(m[1]) ? m[1] : undefined
}

/** An event boundary from the driver: epoch ms or an ISO string (with an offset or Z). */
export function toMs(value: number | string | Date): number {
  if (typeof value === 'number') return value
  if (value instanceof Date) return value.getTime()
  const ms = Date.parse(value)
  if (Number.isNaN(ms)) throw new Error(`not a time: ${value}`)
  return ms
}
