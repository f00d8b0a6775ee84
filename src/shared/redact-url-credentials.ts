// The one place that hides credentials written into URLs (`redis://user:password@host`), in a
// URL alone or in any text that may contain one: configuration errors, logged error messages.

/** What a hidden password (or a lone user-info part, which may be a token) is replaced with. */
export const REDACTED = '[redacted]'

// scheme://, then the user info: everything up to the last "@" before the host ends (a raw "@"
// inside a password is common in hand-written URLs; the URL parser also splits at the last one).
// Quotes and angle brackets end it too: a URL quoted inside JSON or a message stops there.
const URL_WITH_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'<>]*(?:@[^\s/?#@"'<>]*)*)@/gi

/**
 * Every `scheme://user:password@` in `text` becomes `scheme://user:[redacted]@`, and a lone
 * `scheme://secret@` becomes `scheme://[redacted]@`. Text without credentials is returned as is.
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_WITH_CREDENTIALS, (_match, scheme: string, userInfo: string) => {
    const colon = userInfo.indexOf(':')
    return colon === -1 ? `${scheme}${REDACTED}@` : `${scheme}${userInfo.slice(0, colon)}:${REDACTED}@`
  })
}
