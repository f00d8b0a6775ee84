import { createHmac, timingSafeEqual } from 'node:crypto'

// CSRF tokens for the admin forms (docs/architecture.md#admin-pages). Basic auth has no session,
// and a browser sends its basic-auth credentials with any cross-site form post: every form carries
// a token signed for the admin and the hour it was made, checked on post. The key comes from the
// admin password, so every web process checks every other's tokens and a new password voids them.

/** A token is good for this long: a page left open over lunch still posts. */
const TOKEN_LIFETIME_MS = 8 * 3600_000

export interface Csrf {
  token(admin: string): string
  check(admin: string, token: unknown): boolean
}

export function createCsrf(adminPassword: string, now: () => number = Date.now): Csrf {
  const key = createHmac('sha256', adminPassword).update('calstatus admin csrf v1').digest()
  const sign = (admin: string, issuedAt: number): string => createHmac('sha256', key).update(`${admin}\n${issuedAt}`).digest('base64url')
  return {
    token(admin) {
      const issuedAt = now()
      return `${issuedAt}.${sign(admin, issuedAt)}`
    },
    check(admin, token) {
      if (typeof token !== 'string' || token.length > 200) return false
      const [at, sig] = token.split('.')
      const issuedAt = Number(at)
      if (!Number.isSafeInteger(issuedAt) || !sig || now() - issuedAt > TOKEN_LIFETIME_MS || issuedAt > now() + 60_000) return false
      const expected = Buffer.from(sign(admin, issuedAt))
      const given = Buffer.from(sig)
      return given.length === expected.length && timingSafeEqual(given, expected)
    }
  }
}
