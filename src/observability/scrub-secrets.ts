import { stdSerializers } from 'pino'
import { REDACTED, redactUrlCredentials } from '../shared/redact-url-credentials'

// What keeps secrets out of log lines that pino's path redaction cannot reach: errors and
// nested objects from libraries (docs/architecture.md#secrets-in-logs).

/** Field names whose value is a secret wherever they appear, any case, `-` or `_` or neither. */
const SECRET_KEY =
  /^(authorization|proxy-?authorization|cookie|set-?cookie|password|pass|secret|client_?secret|client_?state|access_?token|refresh_?token|id_?token|bot_?token|command_?token|token|x-?mattermost-?token|client_?assertion)$/i

/** A bearer token inside text (an echoed header, an error message). */
const BEARER = /\b(bearer)\s+[A-Za-z0-9\-._~+/]+=*/gi

/** Text with URL credentials and bearer tokens hidden. */
export function scrubText(text: string): string {
  return redactUrlCredentials(text).replace(BEARER, `$1 ${REDACTED}`)
}

const MAX_DEPTH = 8

/**
 * A copy of `value` with secret-named fields replaced and every string scrubbed. Plain data
 * only (what a serializer returns): Errors go through `scrubError` first.
 */
export function scrubValue(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubText(value)
  if (value === null || typeof value !== 'object') return value
  if (depth >= MAX_DEPTH || seen.has(value)) return '[...]'
  seen.add(value)
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1, seen))
  if (value instanceof Error) return scrubError(value)
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && v !== null && v !== undefined && v !== '' ? REDACTED : scrubValue(v, depth + 1, seen)
  }
  return out
}

/**
 * pino's error serializer (type, message, stack, cause, own fields), then scrubbed. A Redis
 * reply error carries the command it answered, arguments included: those are values we store
 * (a subscription's clientState) or the AUTH/HELLO password, so only the command name is kept.
 */
export function scrubError(err: unknown): unknown {
  if (!(err instanceof Error)) return scrubValue(err)
  const serialized = stdSerializers.err(err) as unknown as Record<string, unknown>
  const command = serialized['command'] as { name?: unknown } | undefined
  if (command && typeof command === 'object') serialized['command'] = { name: command.name }
  return scrubValue(serialized)
}
