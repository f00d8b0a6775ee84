import { DateTime } from 'luxon'

/** A time as the admin pages show it, in the server's zone unless one is given. */
export function when(ms: number, zone?: string): string {
  return DateTime.fromMillis(ms, { zone: zone ?? 'local' }).toFormat('yyyy-MM-dd HH:mm ZZZZ')
}
