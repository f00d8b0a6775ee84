import type { IssuedToken, TokenRegistry } from '../shared/token-registry'
import { aad, type AadError } from './aad-errors'
import type { Directory, SimTenant } from './directory'

// `POST /{tenant}/oauth2/v2.0/token`, client credentials only. Checks run in the order
// Microsoft's answers suggest: tenant, grant type, client id, app, client secret, scope, consent.
// Client authentication is client_secret_post or client_secret_basic.

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000'

export interface TokenContext {
  directory: Directory
  tokens: TokenRegistry
  /** resources whose `/.default` is accepted (no trailing slash, lower case) */
  acceptedResources: () => string[]
  expiresInSeconds: () => number
}

export interface TokenRequest {
  /** the `{tenant}` path segment */
  tenantSegment: string
  form: URLSearchParams
  /** the Authorization header, for client_secret_basic */
  authorization: string | undefined
}

export interface TokenSuccessBody {
  token_type: 'Bearer'
  expires_in: number
  ext_expires_in: number
  access_token: string
}

export type TokenAnswer =
  | { ok: true; body: TokenSuccessBody; issued: IssuedToken; tenant: SimTenant; clientId: string; scope: string }
  | { ok: false; err: AadError; clientId: string | undefined; scope: string | undefined }

function basicCredentials(authorization: string | undefined): { id: string; secret: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(authorization?.trim() ?? '')
  if (!m) return undefined
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  // RFC 6749 2.3.1: both parts are form-urlencoded before being put in the header.
  const dec = (s: string): string => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '))
    } catch {
      return s
    }
  }
  return { id: dec(decoded.slice(0, colon)), secret: dec(decoded.slice(colon + 1)) }
}

/** `https://graph.microsoft.com//.default` and `https://GRAPH.microsoft.com/.default` name the same resource. */
export function resourceOf(scope: string): string {
  return scope.slice(0, -'/.default'.length).replace(/\/+$/, '').toLowerCase()
}

export function requestToken(ctx: TokenContext, req: TokenRequest): TokenAnswer {
  const basic = basicCredentials(req.authorization)
  const clientIdRaw = req.form.get('client_id') ?? basic?.id
  const clientId = clientIdRaw?.trim() || undefined
  const scope = req.form.get('scope') ?? undefined
  const fail = (err: AadError): TokenAnswer => ({ ok: false, err, clientId, scope })

  const found = ctx.directory.lookupTenant(req.tenantSegment)
  if (found.kind === 'multi') return fail(aad.noTenantInfo())
  if (found.kind === 'unknown') return fail(aad.tenantNotFound(req.tenantSegment))
  if (found.kind === 'invalid') return fail(aad.tenantInvalid(req.tenantSegment))
  const tenant = found.tenant

  const grantType = req.form.get('grant_type')
  if (!grantType) return fail(aad.missingParameter('grant_type'))
  if (grantType !== 'client_credentials') return fail(aad.unsupportedGrantType(grantType))

  if (!clientId) return fail(aad.missingParameter('client_id'))
  const app = ctx.directory.app(clientId)
  if (!app) return fail(aad.unknownClient(clientId, tenant.name))

  const secret = req.form.get('client_secret') ?? basic?.secret
  if (!secret) return fail(aad.missingSecret())
  if (secret !== app.secret) return fail(aad.badSecret(app.clientId))
  if (ctx.directory.secretExpired(app)) return fail(aad.expiredSecret(app.clientId))

  if (scope === undefined || scope.trim() === '') return fail(aad.missingParameter('scope'))
  const scopes = scope.trim().split(/\s+/)
  if (scopes.length !== 1) return fail(aad.scopeInvalid(scope))
  const only = scopes[0]!
  if (!/\/\.default$/i.test(only)) return fail(aad.scopeNotDefault(only))
  const resource = resourceOf(only)
  if (!ctx.acceptedResources().includes(resource)) return fail(aad.resourceNotFound(only.slice(0, -'/.default'.length), tenant.name))

  // Real Entra issues a token without roles when admin consent is missing (Graph then answers
  // 403); the simulator refuses at the token endpoint so the service's alert path is exercised.
  if (!app.consented) return fail(aad.consentMissing(app.clientId, app.name))

  const ttl = ctx.expiresInSeconds()
  const issued = ctx.tokens.issue({ tenant: tenant.id, clientId: app.clientId, scope: only, ttlSeconds: ttl, roles: app.roles })
  return {
    ok: true,
    body: { token_type: 'Bearer', expires_in: ttl, ext_expires_in: ttl, access_token: issued.token },
    issued,
    tenant,
    clientId: app.clientId,
    scope: only
  }
}
