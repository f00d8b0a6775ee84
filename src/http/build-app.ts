import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { Config } from '../config'
import type { Metrics } from '../observability/create-metrics'
import type { Queues } from '../queue/create-queues'
import { installErrorHandling } from './errors'
import { healthRoutes } from './routes/health'
import { adminRoutes } from './routes/admin'
import { graphNotificationRoutes } from './routes/graph-notifications'
import type { NotificationIntake } from '../app/notification-intake'
import type { LoginAttemptStore } from '../store/login-attempt-store'
import type { PersonControls } from '../app/commands/command-port'
import type { AdminUseCases } from '../app/admin/create-admin-use-cases'
import { mattermostIntegrationRoutes } from './routes/mattermost-integrations'

export interface AppDeps {
  config: Config
  logger: Logger
  metrics: Metrics
  queues: Queues
  checkRedis: () => Promise<void>
  missingSchedules?: () => Promise<string[]>
  notifications: NotificationIntake
  loginAttempts: LoginAttemptStore
  /** what the admin pages show and do */
  adminUseCases?: AdminUseCases | null
  /** `/calstatus` and clicks on our messages; null without Mattermost */
  personControls?: PersonControls | null
  /** Tests shorten them; production uses HTTP_TIMEOUTS. */
  timeouts?: Partial<HttpTimeouts>
}

/** How long a client may take (docs/architecture.md#http-surface), in ms. */
export interface HttpTimeouts {
  /** the whole request, headers and body: a slow sender (slowloris) is cut off with 408 */
  request: number
  /** a socket with nothing moving, either way (a client that does not read its answer) */
  idle: number
  /** an idle keep-alive connection between requests */
  keepAlive: number
  /** how often Node checks the request timeout of open connections */
  checkEvery: number
}

// Graph needs an answer within 3 s and sends small bodies at once: 30 s is generous for
// anyone honest. Keep-alive stays Fastify's 72 s, longer than common load balancers' 60 s idle
// timeout (a server closing first makes them answer 502); the idle limit lies past it.
export const HTTP_TIMEOUTS: HttpTimeouts = { request: 30_000, idle: 75_000, keepAlive: 72_000, checkEvery: 5_000 }

/** On every reply, errors and 404s included. */
const SECURITY_HEADERS = {
  // A body is what its content-type says: the validation handshake echoes caller text.
  'x-content-type-options': 'nosniff',
  // The admin pages act on queues: nobody may frame them.
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer'
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** The web process's Fastify app. The one composition point for routes; no listening here. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const timeouts = { ...HTTP_TIMEOUTS, ...deps.timeouts }
  const app = Fastify({
    // pino's Logger is what Fastify uses; only the generic parameter differs. tsc needs the
    // assertion (the app's type would carry pino's Logger) though the rule thinks otherwise.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Keep a caller's request id when it is sane (load balancers set one), else make one.
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    bodyLimit: 1024 * 1024,
    // Fastify's Ajv coerces by default ("array"): 12345 or ["x"] would pass where a string is
    // due. Notification bodies are Graph's JSON: a wrong type is a 400, never a guess.
    ajv: { customOptions: { coerceTypes: false } },
    // Two log lines per request would be 10,000 lines a second under a notification burst;
    // requests are counted in /metrics and the refused ones logged below.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    requestTimeout: timeouts.request,
    connectionTimeout: timeouts.idle,
    keepAliveTimeout: timeouts.keepAlive,
    // Node's own default checks the request timeout only every 30 s.
    http: { requestTimeout: timeouts.request, headersTimeout: timeouts.request, connectionsCheckingInterval: timeouts.checkEvery }
  })

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
    reply.headers(SECURITY_HEADERS)
  })
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode >= 400)
      request.log.info(
        { method: request.method, url: request.routeOptions.url ?? request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        'request refused'
      )
    deps.metrics.httpRequests.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000
    )
  })

  installErrorHandling(app)
  await app.register(healthRoutes, { checkRedis: deps.checkRedis, missingSchedules: deps.missingSchedules })
  // Notifications name the tenant by GUID; MS_TENANT_ID may be a domain, which cannot be compared.
  const tenant = deps.config.microsoft?.tenantId
  const tenantId = tenant !== undefined && GUID.test(tenant) ? tenant.toLowerCase() : null
  if (tenant !== undefined && tenantId === null) {
    deps.logger.info("MS_TENANT_ID is a domain: notifications' tenantId is not checked (Graph names the tenant by GUID); set the tenant GUID to check it")
  }
  await app.register(graphNotificationRoutes, { ...deps.notifications, tenantId, registry: deps.metrics.registry })
  // The slash command's token proves a caller is Mattermost: no token, no command route (404).
  // Clicks carry their own signed context, so "Ask first" works without the slash command.
  if (deps.personControls) {
    await app.register(mattermostIntegrationRoutes, {
      commandToken: deps.config.mattermost?.commandToken ?? null,
      controls: deps.personControls,
      log: deps.logger
    })
  }
  await app.register(adminRoutes, {
    prefix: '/admin',
    credentials: deps.config.admin,
    queues: Object.values(deps.queues),
    loginAttempts: deps.loginAttempts,
    useCases: deps.adminUseCases ?? null
  })
  return app
}
