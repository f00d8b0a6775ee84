import { DateTime } from 'luxon'

// An instant as a person reads it: in their zone, with their locale's date and time formats
// (luxon, Intl). The words around it ("until", "tomorrow") come from the catalog.

export interface LocalInstant {
  /** how the day relates to the reader's today */
  day: 'today' | 'tomorrow' | 'later'
  /** "15:30", or "3:30 PM" in en-US */
  time: string
  /** "Thu 4 Dec" in en-GB, "Do., 4. Dez." in de */
  date: string
  /** the instant is a local midnight: it ends the day before, named by `lastDate` */
  midnight: boolean
  /** the day before a midnight: "until the end of Wed 3 Dec" */
  lastDate: string
  /** the day before a midnight is today */
  lastDayIsToday: boolean
}

const DATE = { weekday: 'short', day: 'numeric', month: 'short' } as const
const TIME = { hour: '2-digit', minute: '2-digit' } as const

function local(ms: number, zone: string, locale: string): DateTime {
  const dt = DateTime.fromMillis(ms, { zone, locale })
  // A zone the runtime does not know: UTC rather than no text (as src/domain/texts.ts does).
  return dt.isValid ? dt : DateTime.fromMillis(ms, { zone: 'UTC', locale })
}

export function localInstant(ms: number, now: number, zone: string, locale: string): LocalInstant {
  const today = local(now, zone, locale)
  const at = local(ms, zone, locale)
  const last = local(ms - 1, zone, locale)
  const day = at.hasSame(today, 'day') ? 'today' : at.hasSame(today.plus({ days: 1 }), 'day') ? 'tomorrow' : 'later'
  return {
    day,
    time: at.toLocaleString(TIME),
    date: at.toLocaleString(DATE),
    midnight: at.hour === 0 && at.minute === 0,
    lastDate: last.toLocaleString(DATE),
    lastDayIsToday: last.hasSame(today, 'day')
  }
}

/** "15:30" in the reader's zone and locale. */
export function localTime(ms: number, zone: string, locale: string): string {
  return local(ms, zone, locale).toLocaleString(TIME)
}
