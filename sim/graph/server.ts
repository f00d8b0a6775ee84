import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { loadSimTls } from '../shared/tls'
import type { TokenRegistry } from '../shared/token-registry'
import { createApi, type Latency } from './api'
import { handleBatch, JSON_CONTENT_TYPE } from './batch'
import { createStats, type GraphSimCounters } from './counters'
import { createDelivery, DEFAULT_SLOW_POLICY, type DeliveryRecord, type SlowPolicy } from './delivery'
import { createChangeHandler, createDriver, type GraphSimDriver, type Outage } from './driver'
import { graphError, withInnerError, type ApiResponse } from './graph-error'
import { guid } from './ids'
import { createOutbound } from './outbound'
import { createSubscriptions, type ValidationRecord } from './subscriptions'
import { createTenant, type EventChange } from './tenant'
import { createThrottle, DEFAULT_THROTTLE, type ThrottleSettings } from './throttle'

export { REALISTIC_LATENCY, type Latency } from './api'
export type { GraphSimCounters } from './counters'
export type { DeliveryRecord, NotificationItem, SlowPolicy } from './delivery'
export type { GraphSimDriver } from './driver'
export type { ValidationRecord } from './subscriptions'
export type { EventChange } from './tenant'
export type { ThrottleSettings } from './throttle'

// A Microsoft Graph simulator for tests, benchmarks and the demo, faithful to
// docs/graph.md (harsh parts included). HTTPS on 127.0.0.1, API under /v1.0.
//
// Outer pipeline: count -> token (401) -> body (JSON) -> dispatch (api.ts): route -> throttle
// (429 + Retry-After) -> latency -> handler. $batch runs its items through the same dispatch.

export interface GraphSimOptions {
  /** tokens the identity simulator issued; every /v1.0 request needs one that checks ok */
  tokens: TokenRegistry
  /** default: a random GUID */
  tenantId?: string
  /** default 0 (any free port) */
  port?: number
  /** clock for events, getSchedule windows and subscription expiry (default Date.now) */
  now?: () => number
  /** shuffles (batch answers, reorder), throttle and delivery shares (default Math.random) */
  random?: () => number
  /** default 0/0; REALISTIC_LATENCY for benchmarks */
  latency?: Partial<Latency>
  throttle?: Partial<ThrottleSettings>
  /** the validation handshake must be answered within this (default 10,000) */
  validationTimeoutMs?: number
  /** longest subscription lifetime (default 10,080) */
  maxSubscriptionMinutes?: number
  /** notification answers slower than this count as slow (default 3,000) */
  deliveryTimeoutMs?: number
  /** a notification POST without an answer after this fails (default 30,000) */
  deliveryHardTimeoutMs?: number
  /** Graph wants https notification URLs; default false (http allowed, for tests) */
  requireHttps?: boolean
  /** changes to one notificationUrl within this window share one POST (default 50) */
  combineWindowMs?: number
  /** retries of a notification POST answered 5xx or failing (default 3) */
  deliveryRetries?: number
  /** first retry after this, doubling (default 100) */
  deliveryRetryBaseMs?: number
  /** Graph's reaction to slow endpoints; false = off (default: 20 samples, >10% delay, >15% drop 10 min) */
  slowPolicy?: Partial<SlowPolicy> | false
  /** subscriptions per page of GET /subscriptions (default 100) */
  subscriptionPageSize?: number
  /**
   * Whether GET /users/{x} also finds a user by a mail address that is not the UPN (default
   * true, lenient). Graph's directory only takes an id or a UPN there: false is the strict one.
   */
  userPathByMail?: boolean
  /** domain of generated addresses (default contoso.example) */
  domain?: string
}

export interface GraphSimHistory {
  /** every notification and lifecycle POST, retries included */
  deliveries: DeliveryRecord[]
  /** every validation handshake */
  validations: ValidationRecord[]
  /** every event change made through the driver */
  changes: Array<EventChange & { time: number }>
}

export interface GraphSim {
  /** https://127.0.0.1:PORT (no trailing slash); the API is under /v1.0 */
  url: string
  tenantId: string
  driver: GraphSimDriver
  history: GraphSimHistory
  /** = history.deliveries */
  deliveries: DeliveryRecord[]
  counters(): GraphSimCounters
  resetCounters(): void
  /** clears counters and history */
  resetRecords(): void
  stop(): Promise<void>
}

const BODY_LIMIT = 4 * 1024 * 1024

function readBody(req: IncomingMessage): Promise<{ text: string; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size <= BODY_LIMIT) chunks.push(c)
    })
    req.on('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge: size > BODY_LIMIT }))
    req.on('error', reject)
  })
}

const TOKEN_MESSAGES: Record<string, string> = {
  missing: 'Access token is empty.',
  unknown: 'IDX14100: JWT is not well formed, there are no dots (.).',
  expired: 'Lifetime validation failed, the token is expired.',
  revoked: 'Access token validation failure. The token has been revoked.'
}

export async function startGraphSim(opts: GraphSimOptions): Promise<GraphSim> {
  const now = opts.now ?? Date.now
  const random = opts.random ?? Math.random
  const tenantId = opts.tenantId ?? guid()
  const tls = loadSimTls()
  const stats = createStats()
  const latency: Latency = { perRequestMs: 0, perScheduleMs: 0, ...opts.latency }
  const throttle = createThrottle({ settings: { ...DEFAULT_THROTTLE, ...opts.throttle }, random, stats })
  const history: GraphSimHistory = { deliveries: [], validations: [], changes: [] }
  const outage: { current: Outage | null } = { current: null }
  const outbound = createOutbound(tls.ca)
  let url = ''

  const delivery = createDelivery({
    outbound,
    random,
    stats,
    records: history.deliveries,
    options: {
      combineWindowMs: opts.combineWindowMs ?? 50,
      retries: opts.deliveryRetries ?? 3,
      retryBaseMs: opts.deliveryRetryBaseMs ?? 100,
      slowMs: opts.deliveryTimeoutMs ?? 3000,
      hardTimeoutMs: opts.deliveryHardTimeoutMs ?? 30_000,
      reorderJitterMs: 100,
      slowPolicy: opts.slowPolicy === false ? false : { ...DEFAULT_SLOW_POLICY, ...opts.slowPolicy }
    }
  })
  let subscriptions: ReturnType<typeof createSubscriptions>
  const tenant = createTenant({
    ...(opts.domain ? { domain: opts.domain } : {}),
    onChange: createChangeHandler({ subscriptions: () => subscriptions, delivery: () => delivery, tenantId, changes: history.changes, now })
  })
  subscriptions = createSubscriptions({
    tenant,
    now,
    outbound,
    stats,
    tenantId,
    settings: {
      requireHttps: opts.requireHttps ?? false,
      validationTimeoutMs: opts.validationTimeoutMs ?? 10_000,
      maxSubscriptionMinutes: opts.maxSubscriptionMinutes ?? 10_080,
      pageSize: opts.subscriptionPageSize ?? 100
    },
    baseUrl: () => url,
    validations: history.validations
  })

  const pendingSleeps = new Set<() => void>()
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t)
        pendingSleeps.delete(done)
        resolve()
      }
      const t = setTimeout(done, ms)
      pendingSleeps.add(done)
    })

  const api = createApi({
    tenant,
    subscriptions,
    throttle,
    stats,
    latency: () => latency,
    sleep,
    baseUrl: () => url,
    userPathByMail: opts.userPathByMail ?? true,
    batch: (req, ctx) => handleBatch(req, ctx, { stats, random, now: Date.now, dispatch: (r, c) => api.dispatch(r, c) })
  })

  const send = (res: ServerResponse, r: ApiResponse, base: Record<string, string>): void => {
    const headers: Record<string, string> = { ...base, ...r.headers }
    if (r.body === undefined || r.status === 204) {
      res.writeHead(r.status, headers)
      res.end()
      return
    }
    const text = JSON.stringify(r.body)
    res.writeHead(r.status, { ...headers, 'Content-Type': JSON_CONTENT_TYPE, 'Content-Length': String(Buffer.byteLength(text)) })
    res.end(text)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase()
    const rawUrl = req.url ?? '/'
    const requestId = guid()
    const clientRequestId = typeof req.headers['client-request-id'] === 'string' ? req.headers['client-request-id'] : requestId
    const base: Record<string, string> = {
      'request-id': requestId,
      'client-request-id': clientRequestId,
      'x-ms-ags-diagnostic': JSON.stringify({
        ServerInfo: { DataCenter: 'Sim', Slice: 'E', Ring: '5', ScaleUnit: '000', RoleInstance: 'SIM', ADSiteName: 'SIM' }
      }),
      'Strict-Transport-Security': 'max-age=31536000',
      'Cache-Control': 'no-cache'
    }
    const finish = (r: ApiResponse): void => send(res, withInnerError(r, requestId, clientRequestId, Date.now()), base)

    const m = /^\/v1\.0(\/.*)?$/i.exec(rawUrl.split('?')[0] ?? '')
    if (!m) {
      await readBody(req)
      stats.route(`${method} (no version)`, false)
      const version = (rawUrl.split(/[/?]/)[1] ?? '') || '(none)'
      finish(graphError(400, 'BadRequest', `Invalid version: ${version}`))
      return
    }
    const relative = rawUrl.slice(5) || '/'
    stats.route(api.routeKey(method, relative), false)

    const down = outage.current
    if (down) {
      await readBody(req)
      stats.c.outageAnswers += 1
      const headers: Record<string, string> = down.retryAfterSeconds !== undefined ? { 'Retry-After': String(down.retryAfterSeconds) } : {}
      return finish(
        graphError(down.status, down.status === 503 ? 'ServiceUnavailable' : 'InternalServerError', 'The service is temporarily unavailable.', headers)
      )
    }

    const check = opts.tokens.check(typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined)
    if (!check.ok) {
      await readBody(req)
      stats.c.tokenRejections += 1
      finish(
        graphError(401, 'InvalidAuthenticationToken', TOKEN_MESSAGES[check.reason] ?? 'Access token validation failure.', {
          'WWW-Authenticate':
            'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'
        })
      )
      return
    }

    const raw = await readBody(req)
    if (raw.tooLarge) return finish(graphError(413, 'RequestEntityTooLarge', 'The request body is too large.'))
    let body: unknown
    if (raw.text.trim() !== '') {
      try {
        body = JSON.parse(raw.text)
      } catch {
        return finish(
          graphError(400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.')
        )
      }
    }
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k.toLowerCase()] = v
    const r = await api.dispatch({ method, url: relative, headers, body, inner: false }, { app: check.issued })
    finish(r)
  }

  const sockets = new Set<Socket>()
  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      const requestId = guid()
      if (!res.headersSent)
        send(res, withInnerError(graphError(500, 'InternalServerError', `Simulator error: ${String(err)}`), requestId, requestId, Date.now()), {
          'request-id': requestId
        })
      else res.destroy()
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  // Node 20: on a keep-alive TLS socket, a request that arrives while a large answer (400
  // people's schedules, hundreds of KB) is still being written can fail to parse (HPE_PAUSED):
  // the server answers 400 and closes, the client sees "other side closed". A write buffer
  // large enough for any answer keeps the parser from being paused. (Seen in the benchmarks;
  // reproduced with a bare node:https server.)
  server.on('secureConnection', (socket) => {
    const state = (socket as unknown as { _writableState?: { highWaterMark: number } })._writableState
    if (state) state.highWaterMark = Math.max(state.highWaterMark, 16 << 20)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
  })
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`

  const driver = createDriver({ tenant, subscriptions, delivery, throttle, latency, tenantId, now, records: history.deliveries, outage })

  let stopped: Promise<void> | undefined
  return {
    url,
    tenantId,
    driver,
    history,
    deliveries: history.deliveries,
    counters: () => stats.snapshot(),
    resetCounters: () => stats.reset(),
    resetRecords() {
      stats.reset()
      history.deliveries.length = 0
      history.validations.length = 0
      history.changes.length = 0
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        delivery.stop()
        outbound.close()
        for (const wake of [...pendingSleeps]) wake()
        server.close(() => resolve())
        server.closeAllConnections()
        for (const s of sockets) s.destroy()
      })
      return stopped
    }
  }
}
