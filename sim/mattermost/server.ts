import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { AppError, appErrorBody, apiNotFound, sessionExpired } from './app-error'
import { channelRoutes } from './channel-routes'
import { createCustomStatusStore } from './custom-status-store'
import { createDriver, type MattermostSimDriver } from './driver'
import { handleDriverHttp } from './driver-http'
import { createFaultInjector, type Fault } from './fault-injector'
import { goMarshal } from './go-json'
import { clearHistory, createHistory, type SimHistory } from './history'
import { newId } from './ids'
import { createIntegrations } from './integrations'
import { createMessaging } from './messaging'
import { findSpecDir, loadOpenApiContract, type ContractViolation, type OpenApiContract } from './openapi-contract'
import { createRateLimiter, type RateLimiter, type RateLimitSettings } from './rate-limiter'
import { createRequestStats, type SimCounters } from './request-stats'
import { createRoleTable } from './roles'
import { matchRoute, routeKey, type ApiRoute, type SimConfig, type SimModel } from './route-table'
import { statusRoutes } from './status-routes'
import { systemRoutes } from './system-routes'
import { teamRoutes } from './team-routes'
import { createStatusStore } from './status-store'
import { createUserDirectory, type SimUser } from './user-directory'
import { usersRoutes } from './users-routes'

// A Mattermost REST API v4 simulator for tests, benchmarks and the demo, faithful to
// docs/mattermost.md (harsh parts included). Plain HTTP on 127.0.0.1.
//
// Request pipeline (API paths): count -> latency -> read body -> OpenAPI contract (record, or
// refuse under "enforce"; so throttled requests are checked too) -> rate limiter (429) ->
// injected fault -> route (404/405) -> session (401) -> body limit (413) -> handler -> JSON
// with Content-Type exactly "application/json".

export type ContractMode = 'off' | 'record' | 'enforce'

export interface MattermostSimOptions {
  /** default 0 (any free port) */
  port?: number
  /** the service's bot account; default username "calstatus" */
  botUsername?: string
  /**
   * The bot's roles. Default "system_user": a freshly created bot, which can read users and
   * statuses but may not change other users' statuses. Use e.g. "system_user system_admin"
   * (manage_system), or "system_user system_user_manager" (edit_other_users only).
   */
  botRoles?: string
  /** a system admin "sysadmin" (the bot's owner, as on a real server); default true */
  seedAdmin?: boolean
  /** default "record" */
  contract?: ContractMode
  /** override where the OpenAPI fragments are */
  specDir?: string
  /** period of the DND expiry job; default 60,000 (the server's one minute); 0 = no timer */
  dndExpiryPeriodMs?: number
  /** the simulator's clock for statuses and custom statuses (default Date.now) */
  now?: () => number
  /** for shuffled answers (default Math.random) */
  random?: () => number
  /** the server's rate limiter: off by default; true = 10/s burst 100 */
  rateLimit?: boolean | Partial<RateLimitSettings>
  /** latency added to every API request, in ms (benchmarks: "a few ms per call") */
  latencyMs?: number
  config?: Partial<SimConfig>
  /** X-Version-Id header */
  serverVersion?: string
}

export interface MattermostSim {
  /** http://127.0.0.1:PORT (no trailing slash) */
  url: string
  botToken: string
  botUserId: string
  /** the seeded system admin (undefined with seedAdmin: false) */
  adminUserId: string | undefined
  adminToken: string | undefined
  teamId: string
  townSquareId: string
  contractMode: ContractMode
  contract: OpenApiContract | undefined
  /** every contract violation seen (also refused ones under "enforce") */
  contractViolations: ContractViolation[]
  history: SimHistory
  counters(): SimCounters
  resetCounters(): void
  /** clears history, counters and contract violations */
  resetRecords(): void
  driver: MattermostSimDriver
  /** Run the DND expiry job now (with the sim clock, or the given ms); returns the users restored. */
  runDndExpiry(nowMs?: number): string[]
  stop(): Promise<void>
}

const DEFAULT_CONFIG: SimConfig = {
  showEmailAddress: true,
  showFullName: true,
  enablePersonalAccessTokens: false,
  customStatusEnabled: true,
  maxPayloadBytes: 300_000,
  allowedUntrustedInternalConnections: [],
  integrationTimeoutMs: 30_000
}

/** Requests larger than this are read and discarded, not buffered. */
const BODY_HARD_CAP = 64 * 1024 * 1024

function bearerToken(req: IncomingMessage, query: URLSearchParams): string | undefined {
  // app.ParseAuthTokenFromRequest: "BEARER <t>" or "TOKEN <t>" (any case), or access_token.
  const auth = req.headers.authorization ?? ''
  if (auth.length > 6 && auth.slice(0, 6).toUpperCase() === 'BEARER') return auth.slice(7)
  if (auth.length > 5 && auth.slice(0, 5).toLowerCase() === 'token') return auth.slice(6)
  return query.get('access_token') ?? undefined
}

function readBody(req: IncomingMessage, limit: number): Promise<{ text: string; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size <= limit) chunks.push(c)
      else if (size > BODY_HARD_CAP) req.destroy()
    })
    req.on('end', () => resolve({ text: size <= limit ? Buffer.concat(chunks).toString('utf8') : '', tooLarge: size > limit }))
    req.on('error', reject)
    req.on('close', () => resolve({ text: '', tooLarge: size > limit }))
  })
}

export async function startMattermostSim(opts: MattermostSimOptions = {}): Promise<MattermostSim> {
  const now = opts.now ?? Date.now
  const random = opts.random ?? Math.random
  const config: SimConfig = { ...DEFAULT_CONFIG, ...opts.config }
  const history = createHistory()
  const roles = createRoleTable()
  const messaging = createMessaging({ now, history })
  // New people join the team's town-square; bots must be added to teams explicitly.
  const users = createUserDirectory({ now, roles, onAdd: (u) => void (u.is_bot ? undefined : messaging.townSquare.members.add(u.id)) })
  const statuses = createStatusStore({ now, history })
  const customStatuses = createCustomStatusStore({ now, users, history })
  let url = ''
  const model: SimModel = { now, random, config, users, statuses, customStatuses, messaging, history, siteUrl: () => url }

  // Seed: the admin who created the bot, and the bot.
  let admin: SimUser | undefined
  if (opts.seedAdmin !== false) {
    admin = users.add({ username: 'sysadmin', email: 'sysadmin@example.com', roles: 'system_admin system_user', first_name: 'System', last_name: 'Admin' })
  }
  const bot = users.add({
    username: opts.botUsername ?? 'calstatus',
    roles: opts.botRoles ?? 'system_user',
    isBot: true,
    botDescription: 'Keeps statuses in step with calendars'
  })
  const botToken = users.createToken(bot.id, 'bot')
  const adminToken = admin ? users.createToken(admin.id, 'session') : undefined

  const routes: ApiRoute[] = [...statusRoutes(), ...usersRoutes(), ...channelRoutes(newId), ...systemRoutes(), ...teamRoutes()]
  const stats = createRequestStats()
  const faults = createFaultInjector()
  const integrations = createIntegrations(model)
  let limiter: RateLimiter | null = null
  const setRateLimit = (s: RateLimitSettings | null): void => {
    limiter = s ? createRateLimiter(s) : null
  }
  if (opts.rateLimit) setRateLimit({ perSec: 10, maxBurst: 100, ...(typeof opts.rateLimit === 'object' ? opts.rateLimit : {}) })
  let latencyMs = opts.latencyMs ?? 0

  const contractMode: ContractMode = opts.contract ?? 'record'
  const contract = contractMode === 'off' ? undefined : loadOpenApiContract({ specDir: opts.specDir ?? findSpecDir() })
  const contractViolations: ContractViolation[] = []

  const driver = createDriver(model, integrations, { faults, setRateLimit, setLatency: (ms) => (latencyMs = ms) }, () => admin?.id ?? bot.id)
  const runDndExpiry = (nowMs?: number): string[] => statuses.expire(nowMs ?? now())

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

  const baseHeaders = (requestId: string): Record<string, string> => ({ 'X-Request-Id': requestId, 'X-Version-Id': opts.serverVersion ?? '11.1.0.0.sim.false' })

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void => {
    const text = goMarshal(body)
    // Exactly "application/json": @mattermost/client parses JSON only for that exact value.
    res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) })
    res.end(text)
  }
  const sendText = (res: ServerResponse, status: number, text: string, headers: Record<string, string>, contentType = 'text/plain; charset=utf-8'): void => {
    res.writeHead(status, { ...headers, 'Content-Type': contentType, 'X-Content-Type-Options': 'nosniff', 'Content-Length': String(Buffer.byteLength(text)) })
    res.end(text)
  }
  const sendError = (res: ServerResponse, err: AppError, requestId: string, headers: Record<string, string>): void =>
    sendJson(res, err.statusCode, appErrorBody(err, requestId), headers)

  const sendFault = (res: ServerResponse, fault: Exclude<Fault, { holdMs: number }>, requestId: string, headers: Record<string, string>): void => {
    if ('reset' in fault) {
      stats.injectedFailure()
      res.socket?.destroy()
      return
    }
    if (fault.status === 429) {
      stats.throttled()
      const retry = String(fault.retryAfterSeconds ?? 1)
      const limit = String((limiter?.settings.maxBurst ?? 100) + 1)
      sendText(res, 429, 'limit exceeded\n', {
        ...headers,
        'X-Ratelimit-Limit': limit,
        'X-Ratelimit-Remaining': '0',
        'X-Ratelimit-Reset': retry,
        'Retry-After': retry
      })
      return
    }
    stats.injectedFailure()
    if (fault.status === 502 || fault.status === 504) {
      // These come from the reverse proxy in front of Mattermost, as HTML.
      const title = fault.status === 502 ? '502 Bad Gateway' : '504 Gateway Time-out'
      sendText(
        res,
        fault.status,
        `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
        {},
        'text/html'
      )
      return
    }
    sendError(res, new AppError(fault.status, 'sim.injected_failure.app_error', `Injected failure (HTTP ${fault.status}).`), requestId, headers)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase()
    const rawUrl = req.url ?? '/'
    const q = rawUrl.indexOf('?')
    const rawPath = q >= 0 ? rawUrl.slice(0, q) : rawUrl
    const query = new URLSearchParams(q >= 0 ? rawUrl.slice(q + 1) : '')
    const requestId = newId()

    if (rawPath.startsWith('/_sim/')) {
      const body = await readBody(req, BODY_HARD_CAP)
      const r = await handleDriverHttp(method, rawPath, body.text, {
        driver,
        history,
        counters: () => stats.snapshot(),
        resetCounters: () => stats.reset(),
        runDndExpiry,
        contractViolations
      })
      sendJson(res, r.status, r.json, {})
      return
    }

    let path: string
    try {
      // Go's router matches the decoded path; a bad escape never reaches it.
      path = decodeURIComponent(rawPath)
    } catch {
      await readBody(req, 0)
      sendText(res, 400, '400 Bad Request', {})
      return
    }
    const match = matchRoute(routes, method, path)
    const key = match && 'route' in match ? routeKey(match.route) : `${method} (no route)`
    stats.record(key)
    const headers = baseHeaders(requestId)

    if (latencyMs > 0) await sleep(latencyMs)

    const body = await readBody(req, config.maxPayloadBytes)

    if (contract && rawPath.startsWith('/api/v4/')) {
      const found = contract.validateRequest({
        method,
        path: rawPath,
        query,
        body: body.text,
        skipBody: body.tooLarge,
        ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {})
      })
      for (const v of found) {
        contractViolations.push(v)
        stats.contractViolation()
      }
      if (found.length > 0 && contractMode === 'enforce') {
        sendError(
          res,
          new AppError(
            400,
            'sim.contract_violation.app_error',
            'The request does not match the Mattermost OpenAPI spec.',
            found.map((v) => `${v.where}: ${v.message}`).join('; ')
          ),
          requestId,
          headers
        )
        return
      }
    }

    if (limiter) {
      const r = limiter.check(req.socket.remoteAddress ?? '', now())
      Object.assign(headers, r.headers)
      if (r.limited) {
        stats.throttled()
        sendText(res, 429, 'limit exceeded\n', headers)
        return
      }
    }

    let fault = faults.take(key)
    if (fault && 'holdMs' in fault) {
      const holdMs = fault.holdMs
      await new Promise((resolve) => setTimeout(resolve, holdMs))
      fault = undefined
    }
    if (fault && fault.applied !== true) {
      sendFault(res, fault, requestId, headers)
      return
    }

    if (!match) {
      if (path.startsWith('/api/v4/')) sendError(res, apiNotFound(), requestId, headers)
      else if (method === 'POST' && /^\/hooks\/commands\/[A-Za-z0-9]+$/.test(path)) {
        const r = integrations.commandWebhook(path.slice('/hooks/commands/'.length), body.text)
        sendText(res, r.status, r.text, headers)
      } else sendText(res, 404, '404 page not found\n', headers)
      return
    }
    if ('methodNotAllowed' in match) {
      res.writeHead(405, headers)
      res.end()
      return
    }

    const token = bearerToken(req, query)
    const session = token ? users.authenticate(token, config.enablePersonalAccessTokens) : null
    if (!session) {
      sendError(res, sessionExpired(), requestId, headers)
      return
    }
    if (body.tooLarge) {
      sendError(
        res,
        new AppError(413, 'api.context.request_body_too_large.app_error', 'The request body is too large.', `limit=${config.maxPayloadBytes}`),
        requestId,
        headers
      )
      return
    }

    let result: { status: number; json: unknown }
    try {
      result = match.route.handle({ method, path, params: match.params, query, rawBody: body.text, session, requestId }, model)
    } catch (err) {
      if (fault) return sendFault(res, fault, requestId, headers)
      if (err instanceof AppError) sendError(res, err, requestId, headers)
      else sendError(res, new AppError(500, 'sim.internal.app_error', 'Simulator error.', (err as Error).stack ?? String(err)), requestId, headers)
      return
    }
    if (fault) return sendFault(res, fault, requestId, headers)
    sendJson(res, result.status, result.json, headers)
  }

  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { id: 'sim.internal.app_error', message: String(err), detailed_error: '', request_id: '', status_code: 500 }, {})
      else res.destroy()
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
  })
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  // The expiry job runs on whole periods (CreateRecurringTaskFromNextIntervalTime), which with
  // dnd_end_time truncated to the minute means a DND can end up to 59 s early.
  const period = opts.dndExpiryPeriodMs ?? 60_000
  let expiryTimer: NodeJS.Timeout | undefined
  const scheduleExpiry = (): void => {
    expiryTimer = setTimeout(
      () => {
        runDndExpiry()
        scheduleExpiry()
      },
      period - (Date.now() % period)
    )
    expiryTimer.unref()
  }
  if (period > 0) scheduleExpiry()

  let stopped: Promise<void> | undefined
  return {
    url,
    botToken,
    botUserId: bot.id,
    adminUserId: admin?.id,
    adminToken,
    teamId: messaging.team.id,
    townSquareId: messaging.townSquare.id,
    contractMode,
    contract,
    contractViolations,
    history,
    counters: () => stats.snapshot(),
    resetCounters: () => stats.reset(),
    resetRecords() {
      clearHistory(history)
      stats.reset()
      contractViolations.length = 0
    },
    driver,
    runDndExpiry,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (expiryTimer) clearTimeout(expiryTimer)
        for (const wake of [...pendingSleeps]) wake()
        integrations.abortAll()
        server.close(() => resolve())
        server.closeAllConnections()
        for (const s of sockets) s.destroy()
      })
      return stopped
    }
  }
}
