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

export interface AppDeps {
  config: Config
  logger: Logger
  metrics: Metrics
  queues: Queues
  checkRedis: () => Promise<void>
  missingSchedules?: () => Promise<string[]>
  notifications: NotificationIntake
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** The web process's Fastify app. The one composition point for routes; no listening here. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
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
    forceCloseConnections: 'idle'
  })

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
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
  await app.register(healthRoutes, { checkRedis: deps.checkRedis, missingSchedules: deps.missingSchedules, registry: deps.metrics.registry })
  await app.register(graphNotificationRoutes, { ...deps.notifications, registry: deps.metrics.registry })
  await app.register(adminRoutes, { prefix: '/admin', credentials: deps.config.admin, queues: Object.values(deps.queues) })
  return app
}
