import { randomBytes } from 'node:crypto'
import { recordSecret } from './secrets-ledger'

/**
 * Access tokens the identity simulator issued, shared with the Graph simulator so that Graph
 * accepts only tokens "Microsoft" gave out, and rejects expired ones as Graph does (401
 * InvalidAuthenticationToken). A token is shaped like Entra's app-only tokens, a JWT whose payload
 * carries `tid`, `appid`, `aud`, `exp` and the `roles` granted (no claim when none), with a random
 * signature that nothing can verify: Microsoft says access tokens are opaque to clients, so the
 * service reads only `roles`, for the admin's setup check, never to decide anything.
 */
export interface IssuedToken {
  token: string
  tenant: string
  clientId: string
  /** e.g. `https://127.0.0.1:8443/.default` */
  scope: string
  issuedAt: number
  expiresAt: number
}

export type TokenCheck = { ok: true; issued: IssuedToken } | { ok: false; reason: 'missing' | 'unknown' | 'expired' | 'revoked' }

export interface TokenRegistry {
  issue(input: { tenant: string; clientId: string; scope: string; ttlSeconds: number; roles?: readonly string[] }): IssuedToken
  /** `authorization` is the raw header value (`Bearer ...`) or undefined. */
  check(authorization: string | undefined): TokenCheck
  /** Makes every token issued so far invalid (token expiry in the middle of a run). */
  expireAll(): void
  /** Tokens issued so far. */
  count(): number
  /** Every token issued so far (the secrets a log must never show). */
  issuedTokens(): string[]
}

export function createTokenRegistry(opts: { now?: () => number } = {}): TokenRegistry {
  const now = opts.now ?? Date.now
  const tokens = new Map<string, IssuedToken>()
  let issuedCount = 0
  return {
    issue({ tenant, clientId, scope, ttlSeconds, roles = [] }) {
      const t = now()
      const issued: IssuedToken = {
        token: jwtShaped({ tenant, clientId, scope, roles, issuedAt: t, expiresAt: t + ttlSeconds * 1000 }),
        tenant,
        clientId,
        scope,
        issuedAt: t,
        expiresAt: t + ttlSeconds * 1000
      }
      tokens.set(issued.token, issued)
      recordSecret('access token', issued.token)
      issuedCount += 1
      return issued
    },
    check(authorization) {
      if (!authorization) return { ok: false, reason: 'missing' }
      const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim())
      if (!m) return { ok: false, reason: 'missing' }
      const issued = tokens.get(m[1]!)
      if (!issued) return { ok: false, reason: 'unknown' }
      if (issued.expiresAt <= now()) return { ok: false, reason: 'expired' }
      return { ok: true, issued }
    },
    issuedTokens: () => [...tokens.keys()],
    expireAll() {
      const t = now()
      for (const issued of tokens.values()) issued.expiresAt = Math.min(issued.expiresAt, t)
    },
    count: () => issuedCount
  }
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

/** An Entra app-only access token's shape (v1 claims, as Graph's tokens have). */
function jwtShaped(c: { tenant: string; clientId: string; scope: string; roles: readonly string[]; issuedAt: number; expiresAt: number }): string {
  const seconds = (ms: number): number => Math.floor(ms / 1000)
  const payload = {
    aud: c.scope.replace(/\/\.default$/i, ''),
    iss: `https://sts.windows.net/${c.tenant}/`,
    iat: seconds(c.issuedAt),
    nbf: seconds(c.issuedAt),
    exp: seconds(c.expiresAt),
    appid: c.clientId,
    idtyp: 'app',
    ...(c.roles.length > 0 ? { roles: [...c.roles] } : {}),
    tid: c.tenant,
    // Unique per token, as Entra's `uti` is.
    uti: randomBytes(16).toString('base64url')
  }
  return `${b64({ typ: 'JWT', alg: 'RS256', kid: 'sim' })}.${b64(payload)}.${randomBytes(32).toString('base64url')}`
}
