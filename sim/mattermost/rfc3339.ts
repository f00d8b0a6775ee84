// time.Time as Go's encoding/json reads and writes it (the custom status `expires_at`).
// Decoding is strict RFC 3339 (a 'T', seconds, an offset or 'Z'; "2026-01-01" or a missing
// offset is an error, so a 400). Encoding is RFC3339Nano in the parsed offset: the wall clock
// is kept, trailing zeros of the fraction are dropped, and a zero offset prints as 'Z' (the
// server runs in UTC). So "2026-01-01T10:00:00.000Z" comes back as "2026-01-01T10:00:00Z":
// a client comparing the string it sent with the one it reads back sees a difference.

export interface GoTime {
  /** milliseconds since the epoch, with the sub-millisecond part as a fraction */
  epochMs: number
  /** RFC3339Nano text as Go would marshal it */
  text: string
  isZero: boolean
}

function yearOneEpochMs(): number {
  // Date.UTC maps years 0..99 to 1900..1999, so set year 1 explicitly.
  const d = new Date(0)
  d.setUTCFullYear(1, 0, 1)
  d.setUTCHours(0, 0, 0, 0)
  return d.getTime()
}

/** Go's zero time.Time, what an absent or null `expires_at` decodes to. */
export const GO_ZERO_TIME: GoTime = { epochMs: yearOneEpochMs(), text: '0001-01-01T00:00:00Z', isZero: true }

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/

function daysInMonth(year: number, month: number): number {
  return [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0
}

/** Returns undefined when Go's time.Time UnmarshalJSON would fail. */
export function parseGoTime(text: string): GoTime | undefined {
  const m = RFC3339.exec(text)
  if (!m) return undefined
  const [, ys, mos, ds, hs, mis, ss, frac, zone, sign, ohs, oms] = m
  const year = Number(ys)
  const month = Number(mos)
  const day = Number(ds)
  const hour = Number(hs)
  const minute = Number(mis)
  const second = Number(ss)
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  let offsetMin = 0
  if (zone !== 'Z') {
    const oh = Number(ohs)
    const om = Number(oms)
    if (oh > 23 || om > 59) return undefined
    offsetMin = (sign === '-' ? -1 : 1) * (oh * 60 + om)
  }
  const d = new Date(0)
  d.setUTCFullYear(year, month - 1, day)
  d.setUTCHours(hour, minute, second, 0)
  const fraction = frac ?? ''
  const epochMs = d.getTime() - offsetMin * 60_000 + (fraction ? Number(`0.${fraction}`) * 1000 : 0)
  const trimmed = fraction.replace(/0+$/, '')
  const zoneText = offsetMin === 0 ? 'Z' : `${sign}${ohs}:${oms}`
  const out = `${ys}-${mos}-${ds}T${hs}:${mis}:${ss}${trimmed ? '.' + trimmed : ''}${zoneText}`
  return { epochMs, text: out, isZero: epochMs === GO_ZERO_TIME.epochMs }
}
