import { randomBytes } from 'node:crypto'
import { recordSecret } from '../shared/secrets-ledger'
import type { IssuedToken } from '../shared/token-registry'
import type { Stats } from './counters'
import { badRequest, graphError, type ApiResponse } from './graph-error'
import { guid, guidFrom, graphInstant } from './ids'
import type { Outbound } from './outbound'
import type { ChangeType, Tenant } from './tenant'

// Change-notification subscriptions on users' events (docs/graph.md#change-notifications):
// validation handshake before creating, 409 on a duplicate, lifetime limits, expiry.

export interface SimSubscription {
  id: string
  /** as the client gave it */
  resource: string
  userId: string
  changeType: string
  changeTypes: ChangeType[]
  notificationUrl: string
  lifecycleNotificationUrl: string | null
  clientState: string | null
  /** ms, on the simulator's clock */
  expiresAt: number
  applicationId: string
  creatorId: string
  tenantId: string
  createdAt: number
}

export interface ValidationRecord {
  time: number
  url: string
  token: string
  status: number
  latencyMs: number
  ok: boolean
  error?: string
}

export interface SubscriptionSettings {
  requireHttps: boolean
  validationTimeoutMs: number
  maxSubscriptionMinutes: number
  pageSize: number
}

export interface Subscriptions {
  create(app: IssuedToken, body: unknown): Promise<ApiResponse>
  list(app: IssuedToken, query: URLSearchParams): ApiResponse
  get(app: IssuedToken, id: string): ApiResponse
  patch(app: IssuedToken, id: string, body: unknown): ApiResponse
  delete(app: IssuedToken, id: string): ApiResponse
  reauthorize(app: IssuedToken, id: string): ApiResponse
  /** live (unexpired) subscriptions, all apps */
  all(): SimSubscription[]
  forUser(userId: string): SimSubscription[]
  find(id: string): SimSubscription | undefined
  remove(id: string): SimSubscription | undefined
  /** Set the expiry (ms on the sim clock); in the past = expired, gone at the next look. */
  setExpiry(id: string, ms: number): void
}

const CHANGE_TYPES: readonly ChangeType[] = ['created', 'updated', 'deleted']
const RESOURCE = /^\/?users\/([^/]+)\/events\/?$/i

/** Like Graph's: spaces, '+', '/', '=' and a non-ASCII character, so the URL must be decoded. */
export function newValidationToken(): string {
  return `Validation: Testing client application reachability for subscription Request-Id: ${guid()} ${randomBytes(12).toString('base64')}+/= ✓`
}

function validationFailed(detail: string): ApiResponse {
  return badRequest(`Subscription validation request failed. ${detail}`, 'ValidationError')
}

export function createSubscriptions(deps: {
  tenant: Tenant
  now: () => number
  outbound: Outbound
  stats: Stats
  tenantId: string
  settings: SubscriptionSettings
  baseUrl: () => string
  validations: ValidationRecord[]
}): Subscriptions {
  const { tenant, now, settings } = deps
  const subs = new Map<string, SimSubscription>()

  const sweep = (): void => {
    const t = now()
    for (const [id, s] of subs) if (s.expiresAt <= t) subs.delete(id)
  }
  const owned = (app: IssuedToken, id: string): SimSubscription | undefined => {
    sweep()
    const s = subs.get(id.toLowerCase())
    return s && s.applicationId === app.clientId ? s : undefined
  }
  const notFound = (id: string): ApiResponse =>
    graphError(404, 'ResourceNotFound', `The object was not found. Subscription '${id}' does not exist or has expired.`)

  const json = (s: SimSubscription, withClientState: boolean): Record<string, unknown> => ({
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity',
    id: s.id,
    resource: s.resource,
    applicationId: s.applicationId,
    changeType: s.changeType,
    // Graph echoes the secret when it is set; reads give it back as null.
    clientState: withClientState ? s.clientState : null,
    notificationUrl: s.notificationUrl,
    notificationQueryOptions: null,
    lifecycleNotificationUrl: s.lifecycleNotificationUrl,
    expirationDateTime: graphInstant(s.expiresAt),
    creatorId: s.creatorId,
    includeResourceData: false,
    latestSupportedTlsVersion: 'v1_2',
    encryptionCertificate: null,
    encryptionCertificateId: null,
    notificationUrlAppId: null,
    tenantId: s.tenantId
  })

  const checkUrl = (value: unknown, field: string): { ok: true; url: string } | { ok: false; res: ApiResponse } => {
    if (typeof value !== 'string' || !value) return { ok: false, res: badRequest(`'${field}' is required.`, 'InvalidRequest') }
    let u: URL
    try {
      u = new URL(value)
    } catch {
      return { ok: false, res: badRequest(`Invalid '${field}': '${value}' is not an absolute URL.`, 'InvalidRequest') }
    }
    const ok = u.protocol === 'https:' || (u.protocol === 'http:' && !settings.requireHttps)
    if (!ok) return { ok: false, res: badRequest(`Invalid '${field}': the URL must use https.`, 'InvalidRequest') }
    return { ok: true, url: value }
  }

  const checkExpiry = (value: unknown): { ok: true; ms: number } | { ok: false; res: ApiResponse } => {
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
      return { ok: false, res: badRequest("'expirationDateTime' is required and must be a date and time with an offset.", 'InvalidRequest') }
    }
    const ms = Date.parse(value)
    const t = now()
    if (ms <= t) return { ok: false, res: badRequest('Subscription expiration must be in the future.', 'InvalidRequest') }
    if (ms > t + settings.maxSubscriptionMinutes * 60_000) {
      return { ok: false, res: badRequest(`Subscription expiration can only be ${settings.maxSubscriptionMinutes} minutes in the future.`, 'InvalidRequest') }
    }
    return { ok: true, ms }
  }

  const handshake = async (url: string): Promise<string | null> => {
    const token = newValidationToken()
    const target = `${url}${url.includes('?') ? '&' : '?'}validationToken=${encodeURIComponent(token)}`
    deps.stats.c.validationRequests += 1
    const r = await deps.outbound.post(target, { body: '', contentType: 'text/plain; charset=utf-8', timeoutMs: settings.validationTimeoutMs })
    let problem: string | null = null
    if (r.status === 0)
      problem = r.timedOut
        ? `The endpoint did not answer within ${settings.validationTimeoutMs / 1000} seconds.`
        : `Notification endpoint could not be reached: ${r.error ?? 'no answer'}.`
    else if (r.status !== 200) problem = `Notification endpoint must respond with 200 OK to validation request (got ${r.status}).`
    else if (!/^text\/plain(\s*;|$)/i.test(r.contentType.trim()))
      problem = `The validation response must have Content-Type text/plain (got '${r.contentType}').`
    else if (r.text !== token) problem = 'The response body must be exactly the URL-decoded validationToken.'
    deps.validations.push({
      time: Date.now(),
      url,
      token,
      status: r.status,
      latencyMs: r.latencyMs,
      ok: problem === null,
      ...(problem ? { error: problem } : {})
    })
    if (problem) deps.stats.c.validationFailures += 1
    return problem
  }

  const duplicateOf = (app: IssuedToken, userId: string, changeTypes: ChangeType[]): SimSubscription | undefined => {
    const key = [...changeTypes].sort().join(',')
    return [...subs.values()].find((s) => s.applicationId === app.clientId && s.userId === userId && [...s.changeTypes].sort().join(',') === key)
  }

  return {
    async create(app, body) {
      sweep()
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return badRequest('Empty Payload. JSON content expected.', 'InvalidRequest')
      const b = body as Record<string, unknown>
      if (typeof b.changeType !== 'string' || !b.changeType.trim()) return badRequest("'changeType' is required.", 'InvalidRequest')
      const parts = b.changeType.split(',').map((p) => p.trim())
      const changeTypes: ChangeType[] = []
      for (const p of parts) {
        const ct = CHANGE_TYPES.find((c) => c === p.toLowerCase())
        if (!ct || changeTypes.includes(ct)) return badRequest(`Invalid 'changeType' attribute: '${b.changeType}'.`, 'InvalidRequest')
        changeTypes.push(ct)
      }
      const notification = checkUrl(b.notificationUrl, 'notificationUrl')
      if (!notification.ok) return notification.res
      let lifecycleUrl: string | null = null
      if (b.lifecycleNotificationUrl !== undefined && b.lifecycleNotificationUrl !== null) {
        const l = checkUrl(b.lifecycleNotificationUrl, 'lifecycleNotificationUrl')
        if (!l.ok) return l.res
        lifecycleUrl = l.url
      }
      if (typeof b.resource !== 'string') return badRequest("'resource' is required.", 'InvalidRequest')
      const m = RESOURCE.exec(b.resource)
      if (!m) return badRequest(`Resource '${b.resource}' is not supported: use users/{id}/events.`, 'InvalidRequest')
      let ref: string
      try {
        ref = decodeURIComponent(m[1]!)
      } catch {
        return badRequest(`Invalid resource '${b.resource}'.`, 'InvalidRequest')
      }
      const user = tenant.findUser(ref)
      if (!user)
        return graphError(
          404,
          'ExtensionError',
          'Operation: Create; Exception: [Status Code: NotFound; Reason: The specified object was not found in the store.]'
        )
      if (user.restDisabled)
        return graphError(
          404,
          'ExtensionError',
          'Operation: Create; Exception: [Status Code: NotFound; Reason: MailboxNotEnabledForRESTAPI: The mailbox is either inactive, soft-deleted, or is hosted on-premise.]'
        )
      const expiry = checkExpiry(b.expirationDateTime)
      if (!expiry.ok) return expiry.res
      let clientState: string | null = null
      if (b.clientState !== undefined && b.clientState !== null) {
        if (typeof b.clientState !== 'string' || b.clientState.length > 128)
          return badRequest("'clientState' must be a string of at most 128 characters.", 'InvalidRequest')
        clientState = b.clientState
        recordSecret('clientState', clientState)
      }
      const conflict = (): ApiResponse =>
        graphError(
          409,
          'ExtensionError',
          'Operation: Create; Exception: [Status Code: Conflict; Reason: A subscription with the same resource and change type already exists for this application.]'
        )
      if (duplicateOf(app, user.id, changeTypes)) return conflict()

      const problem = await handshake(notification.url)
      if (problem) return validationFailed(problem)
      if (lifecycleUrl) {
        const p2 = await handshake(lifecycleUrl)
        if (p2) return validationFailed(`(lifecycleNotificationUrl) ${p2}`)
      }
      sweep()
      // Two creates for the same resource may have passed the first check together.
      if (duplicateOf(app, user.id, changeTypes)) return conflict()
      const s: SimSubscription = {
        id: guid(),
        resource: b.resource,
        userId: user.id,
        changeType: changeTypes.join(','),
        changeTypes,
        notificationUrl: notification.url,
        lifecycleNotificationUrl: lifecycleUrl,
        clientState,
        expiresAt: expiry.ms,
        applicationId: app.clientId,
        creatorId: guidFrom(`sp:${app.clientId}`),
        tenantId: deps.tenantId,
        createdAt: now()
      }
      subs.set(s.id, s)
      deps.stats.c.subscriptionsCreated += 1
      return { status: 201, headers: { Location: `${deps.baseUrl()}/v1.0/subscriptions/${s.id}` }, body: json(s, true) }
    },
    list(app, query) {
      sweep()
      const mine = [...subs.values()].filter((s) => s.applicationId === app.clientId).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
      const token = query.get('$skiptoken')
      const skip = token ? Number(Buffer.from(token, 'base64url').toString('utf8')) || 0 : 0
      const page = mine.slice(skip, skip + settings.pageSize)
      const out: Record<string, unknown> = {
        '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#subscriptions',
        value: page.map((s) => {
          const { '@odata.context': _, ...rest } = json(s, false)
          return rest
        })
      }
      if (skip + settings.pageSize < mine.length) {
        out['@odata.nextLink'] =
          `${deps.baseUrl()}/v1.0/subscriptions?$skiptoken=${Buffer.from(String(skip + settings.pageSize), 'utf8').toString('base64url')}`
      }
      return { status: 200, headers: {}, body: out }
    },
    get(app, id) {
      const s = owned(app, id)
      return s ? { status: 200, headers: {}, body: json(s, false) } : notFound(id)
    },
    patch(app, id, body) {
      const s = owned(app, id)
      if (!s) return notFound(id)
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return badRequest('Empty Payload. JSON content expected.', 'InvalidRequest')
      const keys = Object.keys(body).filter((k) => !k.startsWith('@odata.'))
      const other = keys.filter((k) => k !== 'expirationDateTime')
      if (other.length > 0) return badRequest(`Only 'expirationDateTime' can be updated; got '${other.join("', '")}'.`, 'InvalidRequest')
      const expiry = checkExpiry((body as { expirationDateTime?: unknown }).expirationDateTime)
      if (!expiry.ok) return expiry.res
      s.expiresAt = expiry.ms
      return { status: 200, headers: {}, body: json(s, true) }
    },
    delete(app, id) {
      const s = owned(app, id)
      if (!s) return notFound(id)
      subs.delete(s.id)
      return { status: 204, headers: {} }
    },
    reauthorize(app, id) {
      const s = owned(app, id)
      return s ? { status: 204, headers: {} } : notFound(id)
    },
    all() {
      sweep()
      return [...subs.values()]
    },
    forUser(userId) {
      sweep()
      return [...subs.values()].filter((s) => s.userId === userId)
    },
    find(id) {
      sweep()
      return subs.get(id.toLowerCase())
    },
    remove(id) {
      const s = subs.get(id.toLowerCase())
      if (s) subs.delete(s.id)
      return s
    },
    setExpiry(id, ms) {
      const s = subs.get(id.toLowerCase())
      if (!s) throw new Error(`no subscription ${id}`)
      s.expiresAt = ms
    }
  }
}
