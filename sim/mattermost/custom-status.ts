import { invalidBodyParam } from './app-error'
import { decodeOr400, decodeStruct, GoDecodeError } from './go-decode'
import { goMarshal, truncateRunes } from './go-json'
import { GO_ZERO_TIME, parseGoTime, type GoTime } from './rfc3339'

// model.CustomStatus and the PUT /users/{id}/status/custom validation (api4/status.go
// updateUserCustomStatus, model/custom_status.go), plus the emoji rule from docs/mattermost.md.

export const CUSTOM_STATUS_DURATIONS = ['thirty_minutes', 'one_hour', 'four_hours', 'today', 'this_week', 'date_and_time'] as const
export const CUSTOM_STATUS_TEXT_MAX_RUNES = 100
export const MAX_RECENT_CUSTOM_STATUSES = 5

/** As stored in props.customStatus (after JSON.parse of that string). */
export interface StoredCustomStatus {
  emoji: string
  text: string
  duration: string
  /** RFC3339Nano as Go marshals it; "0001-01-01T00:00:00Z" when none was given */
  expires_at: string
}

export interface DecodedCustomStatus {
  emoji: string
  text: string
  duration: string
  expiresAt: GoTime
}

/**
 * Decode and validate the request body. Everything here is a 400 "custom_status" and happens
 * before the permission check, as in the server.
 */
export function decodeCustomStatus(raw: string, nowMs: number, emojiExists: (name: string) => boolean): DecodedCustomStatus {
  const fields = decodeOr400('custom_status', () => decodeStruct(raw, { emoji: 'string', text: 'string', duration: 'string', expires_at: 'time' }))
  let expiresAt = GO_ZERO_TIME
  if (typeof fields.expires_at === 'string') {
    const parsed = parseGoTime(fields.expires_at)
    if (!parsed) throw invalidBodyParam('custom_status', new GoDecodeError(`parsing time "${fields.expires_at}" as RFC 3339 failed`).message)
    expiresAt = parsed
  }
  const cs: DecodedCustomStatus = {
    emoji: (fields.emoji as string | undefined) ?? '',
    text: (fields.text as string | undefined) ?? '',
    duration: (fields.duration as string | undefined) ?? '',
    expiresAt
  }
  if (cs.emoji === '' && cs.text === '') throw invalidBodyParam('custom_status', 'emoji and text are both empty')
  if (!durationAndExpiryValid(cs, nowMs)) throw invalidBodyParam('custom_status', 'invalid duration or expires_at')
  if (cs.emoji !== '' && !emojiExists(cs.emoji)) throw invalidBodyParam('custom_status', `emoji "${cs.emoji}" is neither a system nor a custom emoji`)
  return cs
}

/** CustomStatus.AreDurationAndExpirationTimeValid */
export function durationAndExpiryValid(cs: DecodedCustomStatus, nowMs: number): boolean {
  const before = cs.expiresAt.epochMs < nowMs
  if (cs.duration === '' && (cs.expiresAt.isZero || !before)) return true
  return (CUSTOM_STATUS_DURATIONS as readonly string[]).includes(cs.duration) && !before
}

/** CustomStatus.PreSave: an expiry without a duration becomes date_and_time; text cut to 100 runes. */
export function preSaveCustomStatus(cs: DecodedCustomStatus, nowMs: number): StoredCustomStatus {
  const duration = cs.duration === '' && !(cs.expiresAt.epochMs < nowMs) ? 'date_and_time' : cs.duration
  return { emoji: cs.emoji, text: truncateRunes(cs.text, CUSTOM_STATUS_TEXT_MAX_RUNES), duration, expires_at: cs.expiresAt.text }
}

/** user.SetCustomStatus: the props value is the Go JSON of the struct, fields in this order. */
export function marshalCustomStatus(cs: StoredCustomStatus): string {
  return goMarshal({ emoji: cs.emoji, text: cs.text, duration: cs.duration, expires_at: cs.expires_at })
}

/** RecentCustomStatuses.Add: newest first, an entry with the same text replaced, at most 5. */
export function addRecentCustomStatus(list: readonly StoredCustomStatus[], cs: StoredCustomStatus): StoredCustomStatus[] {
  return [cs, ...list.filter((s) => s.text !== cs.text)].slice(0, MAX_RECENT_CUSTOM_STATUSES)
}
