import { randomBytes } from 'node:crypto'
import { recordSecret } from './secrets-ledger'

/**
 * Access tokens the identity simulator issued, shared with the Graph simulator so that Graph
 * accepts only tokens "Microsoft" gave out, and rejects expired ones as Graph does (401
 * InvalidAuthenticationToken). Tokens are opaque random strings, not JWTs: nothing in the service
 * may read inside an access token (Microsoft says they are opaque to clients).
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
  issue(input: { tenant: string; clientId: string; scope: string; ttlSeconds: number }): IssuedToken
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
    issue({ tenant, clientId, scope, ttlSeconds }) {
      const t = now()
      const issued: IssuedToken = {
        token: `simtoken.${randomBytes(24).toString('base64url')}`,
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
