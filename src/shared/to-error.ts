/**
 * Whatever was thrown, as an Error: JavaScript lets anything be thrown (a string, a plain
 * object), and messages and logs want an Error with a message. Logs carry it as `{ err }`, the
 * one shape pino serializes with type, message and stack.
 */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown
  const text = typeof thrown === 'string' ? thrown : safeJson(thrown)
  return new Error(text, { cause: thrown })
}

/** The message of whatever was thrown. */
export function errorMessage(thrown: unknown): string {
  return toError(thrown).message
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}
