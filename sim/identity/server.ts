import { randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { loadSimTls } from '../shared/tls'
import type { TokenRegistry } from '../shared/token-registry'
import { aad, aadErrorBody, newTraceId, type AadError, type AadErrorContext } from './aad-errors'
import { adminConsent, errorPage } from './consent'
import { createDirectory, type AppInput, type SimApp, type SimTenant, type TenantInput } from './directory'
import { createDriver, takeFault, type Fault, type IdentitySimDriver } from './driver'
import { handleDriverHttp } from './driver-http'
import { instanceDiscovery, openIdConfiguration, signingKeys, type OpenIdContext } from './openid'
import { GRAPH_APP_ID, requestToken, resourceOf } from './token'

// A Microsoft identity platform (Entra ID) simulator for tests, benchmarks and the demo: the
// parts msal-node's client credentials flow touches (tenant discovery, instance discovery, the
// v2.0 token endpoint) and the admin consent endpoint, with Microsoft's error shapes
// (docs/graph.md#admin-consent-and-tokens). HTTPS on 127.0.0.1 with the
// simulators' test certificate (msal-node accepts only https authorities). Tokens are opaque
// and recorded in the TokenRegistry shared with the Graph simulator.

export interface IdentitySimOptions {
  /** where issued tokens go; the Graph simulator checks them there */
  tokens: TokenRegistry
  /** default: one generated tenant with domain contoso.example */
  tenants?: TenantInput[]
  /** default: one generated, consented app; `[]` for none */
  apps?: AppInput[]
  /** expires_in of issued tokens; default 3599 */
  expiresInSeconds?: number
  /** the Graph host whose `/.default` is accepted (besides https://graph.microsoft.com); default https://graph.microsoft.com */
  graphUrl?: string
  /** default 0 (any free port) */
  port?: number
  /** clock for error timestamps and `secretExpiresAt` (token lifetimes use the registry's clock) */
  now?: () => number
}

export interface TokenRequestRecord {
  time: number
  /** the `{tenant}` path segment as sent */
  tenant: string
  clientId: string | undefined
  scope: string | undefined
  grantType: string | undefined
  status: number
  /** OAuth error (invalid_client ...) */
  error?: string
  /** AADSTS number */
  code?: number
  /** true for a driver.failNext failure */
  injected?: boolean
  /** the access token issued */
  token?: string
}

export interface ConsentRecord {
  time: number
  tenant: string
  clientId: string | null
  redirectUri: string | null
  state: string | null
  outcome: 'granted' | 'declined' | 'error'
  code?: number
}

export interface IdentitySimHistory {
  tokenRequests: TokenRequestRecord[]
  consents: ConsentRecord[]
}

export interface IdentitySimCounters {
  /** every request by route, e.g. `POST /{tenant}/oauth2/v2.0/token`; unmatched paths under `other` */
  requestsByRoute: Record<string, number>
  tokenRequests: {
    total: number
    ok: number
    /** by `AADSTSnnnn`, or `injected:503` / `injected:reset` for driver failures */
    byError: Record<string, number>
  }
  openIdConfigRequests: number
  discoveryRequests: number
  keysRequests: number
  adminConsent: { granted: number; declined: number; failed: number }
  injectedFailures: number
}

export interface IdentitySim {
  /** https://127.0.0.1:PORT (no trailing slash): MS_AUTHORITY_HOST */
  url: string
  /** 127.0.0.1:PORT, for msal-node's knownAuthorities */
  host: string
  /** the first tenant's id (MS_TENANT_ID) and domain */
  tenantId: string
  tenantDomain: string | undefined
  /** `${url}/${tenantId}`: msal-node's authority */
  authority: string
  /** the first app's client id and secret (undefined with `apps: []`) */
  clientId: string | undefined
  clientSecret: string | undefined
  tenants: SimTenant[]
  tokens: TokenRegistry
  driver: IdentitySimDriver
  history: IdentitySimHistory
  counters(): IdentitySimCounters
  resetCounters(): void
  /** clears history and counters */
  resetRecords(): void
  /** The admin consent URL for an app (v1 endpoint, as docs/graph.md gives it). */
  consentUrl(opts: { clientId: string; redirectUri: string; state?: string; tenant?: string }): string
  stop(): Promise<void>
}

const BODY_LIMIT = 1024 * 1024

function emptyCounters(): IdentitySimCounters {
  return {
    requestsByRoute: {},
    tokenRequests: { total: 0, ok: 0, byError: {} },
    openIdConfigRequests: 0,
    discoveryRequests: 0,
    keysRequests: 0,
    adminConsent: { granted: 0, declined: 0, failed: 0 },
    injectedFailures: 0
  }
}

function readBody(req: IncomingMessage): Promise<{ text: string; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size <= BODY_LIMIT) chunks.push(c)
    })
    req.on('end', () => resolve({ text: size <= BODY_LIMIT ? Buffer.concat(chunks).toString('utf8') : '', tooLarge: size > BODY_LIMIT }))
    req.on('error', reject)
  })
}

type RouteName = 'openid' | 'discovery' | 'keys' | 'token' | 'consent' | 'consent-v2'

interface Matched {
  name: RouteName
  /** for counters */
  key: string
  tenant: string
  /** the method this route answers */
  method: 'GET' | 'POST'
}

function matchRoute(segments: string[]): Matched | undefined {
  const [tenant, ...rest] = segments
  if (!tenant) return undefined
  const tail = rest.map((s) => s.toLowerCase()).join('/')
  switch (tail) {
    case 'v2.0/.well-known/openid-configuration':
      return { name: 'openid', key: 'GET /{tenant}/v2.0/.well-known/openid-configuration', tenant, method: 'GET' }
    case 'discovery/instance':
      return { name: 'discovery', key: 'GET /common/discovery/instance', tenant, method: 'GET' }
    case 'discovery/v2.0/keys':
      return { name: 'keys', key: 'GET /{tenant}/discovery/v2.0/keys', tenant, method: 'GET' }
    case 'oauth2/v2.0/token':
      return { name: 'token', key: 'POST /{tenant}/oauth2/v2.0/token', tenant, method: 'POST' }
    case 'adminconsent':
      return { name: 'consent', key: 'GET /{tenant}/adminconsent', tenant, method: 'GET' }
    case 'v2.0/adminconsent':
      return { name: 'consent-v2', key: 'GET /{tenant}/v2.0/adminconsent', tenant, method: 'GET' }
    default:
      return undefined
  }
}

export async function startIdentitySim(opts: IdentitySimOptions): Promise<IdentitySim> {
  if (!opts?.tokens) throw new Error('startIdentitySim: `tokens` (a TokenRegistry) is required')
  const now = opts.now ?? Date.now
  const tokens = opts.tokens
  const graphUrl = (opts.graphUrl ?? 'https://graph.microsoft.com').replace(/\/+$/, '')
  const directory = createDirectory({ now })
  for (const t of opts.tenants ?? [{ domain: 'contoso.example', name: 'Contoso' }]) directory.addTenant(t)
  if (directory.tenants.length === 0) throw new Error('startIdentitySim: at least one tenant')
  const initialApps: SimApp[] = (opts.apps ?? [{}]).map((a) => directory.addApp(a))

  let expiresIn = opts.expiresInSeconds ?? 3599
  let declineNext = false
  const faults: Fault[] = []
  let counters = emptyCounters()
  const history: IdentitySimHistory = { tokenRequests: [], consents: [] }
  const driver = createDriver({
    directory,
    tokens,
    faults,
    setExpiresIn: (s) => (expiresIn = s),
    declineNext: () => (declineNext = true)
  })

  let url = ''
  const acceptedResources = (): string[] => [...new Set([resourceOf(`${graphUrl}/.default`), 'https://graph.microsoft.com', GRAPH_APP_ID])]
  const openIdCtx = (): OpenIdContext => ({ baseUrl: url, graphUrl, directory })

  const bump = (rec: Record<string, number>, key: string): void => {
    rec[key] = (rec[key] ?? 0) + 1
  }

  const baseHeaders = (traceId: string, correlationId: string | undefined): Record<string, string> => {
    const h: Record<string, string> = {
      'Cache-Control': 'no-store, no-cache',
      Pragma: 'no-cache',
      'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
      'X-Content-Type-Options': 'nosniff',
      'x-ms-request-id': traceId,
      'x-ms-ests-server': '2.1.sim'
    }
    if (correlationId) h['client-request-id'] = correlationId
    return h
  }
  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void => {
    const text = JSON.stringify(body)
    res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) })
    res.end(text)
  }
  const sendHtml = (res: ServerResponse, status: number, html: string, headers: Record<string, string>): void => {
    res.writeHead(status, { ...headers, 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(Buffer.byteLength(html)) })
    res.end(html)
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const parsed = new URL(req.url ?? '/', 'https://127.0.0.1')
    const segments = parsed.pathname
      .split('/')
      .filter(Boolean)
      .map((s) => {
        try {
          return decodeURIComponent(s)
        } catch {
          return s
        }
      })
    const method = (req.method ?? 'GET').toUpperCase()

    if (segments[0] === '_sim') {
      bump(counters.requestsByRoute, '_sim')
      const body = method === 'GET' || method === 'DELETE' ? '' : (await readBody(req)).text
      const answer = handleDriverHttp(method, segments.slice(1), body, sim)
      sendJson(res, answer.status, answer.body, {})
      return
    }

    const traceId = newTraceId()
    const headerCid = req.headers['client-request-id']
    const correlationId = parsed.searchParams.get('client-request-id') ?? (typeof headerCid === 'string' ? headerCid : undefined)
    const errCtx: AadErrorContext = { traceId, correlationId: correlationId ?? randomUUID(), now: now(), baseUrl: url }
    const headers = baseHeaders(traceId, correlationId)
    const sendAadError = (err: AadError, extra: Record<string, string> = {}): void =>
      sendJson(res, err.status, aadErrorBody(err, errCtx), { ...headers, ...extra })

    const route = matchRoute(segments)
    bump(counters.requestsByRoute, route?.key ?? 'other')
    if (!route) {
      sendHtml(res, 404, '<!DOCTYPE html>\n<html><body><h1>404 - Not Found</h1></body></html>\n', headers)
      return
    }
    if (route.name === 'openid') counters.openIdConfigRequests += 1
    if (route.name === 'discovery') counters.discoveryRequests += 1
    if (route.name === 'keys') counters.keysRequests += 1
    if (route.name === 'token') counters.tokenRequests.total += 1

    const faultRoute = route.name === 'token' ? 'token' : route.name === 'consent' || route.name === 'consent-v2' ? 'consent' : 'openid'
    const form = route.name === 'token' && method === 'POST' ? await readBody(req) : undefined
    const fault = takeFault(faults, faultRoute)
    if (fault) {
      counters.injectedFailures += 1
      if (route.name === 'token') {
        bump(counters.tokenRequests.byError, `injected:${fault.status}`)
        const f = form ? new URLSearchParams(form.text) : new URLSearchParams()
        history.tokenRequests.push({
          time: now(),
          tenant: route.tenant,
          clientId: f.get('client_id') ?? undefined,
          scope: f.get('scope') ?? undefined,
          grantType: f.get('grant_type') ?? undefined,
          status: fault.status === 'reset' ? 0 : fault.status,
          injected: true
        })
      }
      if (fault.status === 'reset') {
        res.socket?.destroy()
        return
      }
      const extra: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterSeconds) } : {}
      if (fault.html)
        sendHtml(res, fault.status, `<!DOCTYPE html>\n<html><body><h1>${fault.status} Service Unavailable</h1></body></html>\n`, { ...headers, ...extra })
      else sendAadError(aad.unavailable(fault.status), extra)
      return
    }

    if (route.method !== method) {
      if (route.name === 'token') {
        const err = aad.postOnly(method)
        bump(counters.tokenRequests.byError, `AADSTS${err.code}`)
        history.tokenRequests.push({
          time: now(),
          tenant: route.tenant,
          clientId: undefined,
          scope: undefined,
          grantType: undefined,
          status: err.status,
          error: err.error,
          code: err.code
        })
        sendAadError(err)
      } else {
        sendHtml(res, 405, '<!DOCTYPE html>\n<html><body><h1>405 - Method Not Allowed</h1></body></html>\n', { ...headers, Allow: route.method })
      }
      return
    }

    switch (route.name) {
      case 'openid':
      case 'keys': {
        const answer = route.name === 'openid' ? openIdConfiguration(openIdCtx(), route.tenant) : signingKeys(openIdCtx(), route.tenant)
        if (answer.ok) sendJson(res, 200, answer.body, { ...headers, 'Cache-Control': 'max-age=86400, private', 'Access-Control-Allow-Origin': '*' })
        else sendAadError(answer.err)
        return
      }
      case 'discovery': {
        const answer = instanceDiscovery(openIdCtx(), parsed.searchParams)
        if (answer.ok) sendJson(res, 200, answer.body, { ...headers, 'Cache-Control': 'max-age=86400, private', 'Access-Control-Allow-Origin': '*' })
        else sendAadError(answer.err)
        return
      }
      case 'token': {
        const body = form!
        const f = body.tooLarge ? new URLSearchParams() : new URLSearchParams(body.text)
        const answer = requestToken(
          { directory, tokens, acceptedResources, expiresInSeconds: () => expiresIn },
          { tenantSegment: route.tenant, form: f, authorization: req.headers.authorization }
        )
        const base = { time: now(), tenant: route.tenant, grantType: f.get('grant_type') ?? undefined }
        if (answer.ok) {
          counters.tokenRequests.ok += 1
          history.tokenRequests.push({ ...base, clientId: answer.clientId, scope: answer.scope, status: 200, token: answer.issued.token })
          sendJson(res, 200, answer.body, headers)
        } else {
          bump(counters.tokenRequests.byError, `AADSTS${answer.err.code}`)
          history.tokenRequests.push({
            ...base,
            clientId: answer.clientId,
            scope: answer.scope,
            status: answer.err.status,
            error: answer.err.error,
            code: answer.err.code
          })
          sendAadError(answer.err)
        }
        return
      }
      case 'consent':
      case 'consent-v2': {
        const answer = adminConsent(
          {
            directory,
            takeDecline: () => {
              const d = declineNext
              declineNext = false
              return d
            }
          },
          { tenantSegment: route.tenant, query: parsed.searchParams, v2: route.name === 'consent-v2' },
          errCtx
        )
        if (answer.kind === 'redirect') {
          counters.adminConsent[answer.outcome] += 1
          history.consents.push({
            time: now(),
            tenant: answer.tenant.id,
            clientId: answer.clientId,
            redirectUri: answer.redirectUri,
            state: answer.state,
            outcome: answer.outcome
          })
          res.writeHead(302, { ...headers, Location: answer.location, 'Content-Length': '0' })
          res.end()
        } else {
          counters.adminConsent.failed += 1
          history.consents.push({
            time: now(),
            tenant: route.tenant,
            clientId: answer.clientId,
            redirectUri: answer.redirectUri,
            state: answer.state,
            outcome: 'error',
            code: answer.err.code
          })
          sendHtml(res, answer.err.status, errorPage(answer.err, errCtx), headers)
        }
        return
      }
    }
  }

  const tls = loadSimTls()
  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        const text = JSON.stringify({ error: 'server_error', error_description: `simulator error: ${String(err)}` })
        res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) })
        res.end(text)
      } else res.destroy()
    })
  })
  const sockets = new Set<Socket>()
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  url = `https://127.0.0.1:${port}`
  const first = directory.tenants[0]!

  const sim: IdentitySim = {
    url,
    host: `127.0.0.1:${port}`,
    tenantId: first.id,
    tenantDomain: first.domain,
    authority: `${url}/${first.id}`,
    clientId: initialApps[0]?.clientId,
    clientSecret: initialApps[0]?.secret,
    tenants: directory.tenants,
    tokens,
    driver,
    history,
    counters: () => structuredClone(counters),
    resetCounters() {
      counters = emptyCounters()
    },
    resetRecords() {
      counters = emptyCounters()
      history.tokenRequests.length = 0
      history.consents.length = 0
    },
    consentUrl({ clientId, redirectUri, state, tenant }) {
      const u = new URL(`${url}/${encodeURIComponent(tenant ?? first.id)}/adminconsent`)
      u.searchParams.set('client_id', clientId)
      u.searchParams.set('redirect_uri', redirectUri)
      if (state !== undefined) u.searchParams.set('state', state)
      return u.toString()
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      })
  }
  return sim
}
