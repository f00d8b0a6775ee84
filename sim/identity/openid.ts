import { aad, type AadError } from './aad-errors'
import type { Directory } from './directory'

// Tenant discovery (the v2.0 OpenID configuration), instance discovery and the signing keys,
// with Microsoft's field set. msal-node needs authorization_endpoint, token_endpoint, issuer
// and jwks_uri (isOpenIdConfigResponse) and validates the issuer: the issuer here is on this
// host, which satisfies its "same scheme, host and port as the authority" rule.

export interface OpenIdContext {
  /** https://127.0.0.1:PORT */
  baseUrl: string
  /** the Graph host, for userinfo_endpoint and msgraph_host */
  graphUrl: string
  directory: Directory
}

export type OpenIdAnswer = { ok: true; body: Record<string, unknown> } | { ok: false; err: AadError }

/** `GET /{tenant}/v2.0/.well-known/openid-configuration` */
export function openIdConfiguration(ctx: OpenIdContext, segment: string): OpenIdAnswer {
  const found = ctx.directory.lookupTenant(segment)
  // For the discovery document, Microsoft answers an unknown tenant with invalid_tenant.
  if (found.kind === 'unknown') return { ok: false, err: aad.tenantNotFound(segment, 'invalid_tenant') }
  if (found.kind === 'invalid') return { ok: false, err: aad.tenantInvalid(segment, 'invalid_tenant') }
  // A tenant's endpoints carry its id even when asked by domain; common/organizations keep the
  // segment and the issuer has the {tenantid} placeholder.
  const path = found.kind === 'tenant' ? found.tenant.id : found.segment.toLowerCase()
  const issuerTenant = found.kind === 'tenant' ? found.tenant.id : '{tenantid}'
  const base = `${ctx.baseUrl}/${path}`
  const graphHost = safeHost(ctx.graphUrl)
  const body: Record<string, unknown> = {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${ctx.baseUrl}/${issuerTenant}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${ctx.graphUrl.replace(/\/+$/, '')}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'cloud_instance_name',
      'cloud_instance_host_name',
      'cloud_graph_host_name',
      'msgraph_host',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'acr',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'at_hash',
      'c_hash',
      'email'
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: found.kind === 'tenant' ? 'EU' : null,
    cloud_instance_name: safeHost(ctx.baseUrl),
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: graphHost,
    rbac_url: 'https://pas.windows.net'
  }
  return { ok: true, body }
}

/**
 * `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=...`. msal-node does not
 * call it when the host is in knownAuthorities, but answers as Microsoft would: metadata for this
 * host alone, and invalid_instance (AADSTS50049) for an authorization endpoint on another host.
 */
export function instanceDiscovery(ctx: OpenIdContext, query: URLSearchParams): OpenIdAnswer {
  const host = safeHost(ctx.baseUrl)
  const authEndpoint = query.get('authorization_endpoint')
  let tenant = '{tenant}'
  if (authEndpoint) {
    let u: URL
    try {
      u = new URL(authEndpoint)
    } catch {
      return { ok: false, err: aad.unknownInstance() }
    }
    if (u.host.toLowerCase() !== host.toLowerCase()) return { ok: false, err: aad.unknownInstance() }
    const first = u.pathname.split('/').filter(Boolean)[0]
    if (first) tenant = first
  }
  return {
    ok: true,
    body: {
      tenant_discovery_endpoint: `${ctx.baseUrl}/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }]
    }
  }
}

/** `GET /{tenant}/discovery/v2.0/keys`: access tokens here are opaque, nothing is signed. */
export function signingKeys(ctx: OpenIdContext, segment: string): OpenIdAnswer {
  const found = ctx.directory.lookupTenant(segment)
  if (found.kind === 'unknown') return { ok: false, err: aad.tenantNotFound(segment, 'invalid_tenant') }
  if (found.kind === 'invalid') return { ok: false, err: aad.tenantInvalid(segment, 'invalid_tenant') }
  return { ok: true, body: { keys: [] } }
}

function safeHost(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return url
  }
}
