import { createHash, randomBytes, randomUUID } from 'node:crypto'

/** A lower-case GUID, as Graph's object ids. */
export function guid(): string {
  return randomUUID()
}

/** A stable GUID derived from a string (the service principal id of an app, say). */
export function guidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

/**
 * An Outlook item id: long, base64 with padding ("AAMkAD...AAA="), so that clients must
 * URL-encode it and must not assume it is a GUID.
 */
export function outlookId(): string {
  return `AAMkAGI2${randomBytes(42).toString('base64url')}AAA=`
}

/** Graph's `innerError.date` and the `Date`-like stamps: ISO without milliseconds. */
export function graphStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** Graph's subscription times: seven fraction digits ("2026-03-20T18:23:45.9356913Z"). */
export function graphInstant(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z')
}
