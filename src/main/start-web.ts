import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { createNotificationIntake } from '../app/notification-intake'
import type { Services } from '../app/services'
import type { Config } from '../config'
import { buildApp, type HttpTimeouts } from '../http/build-app'
import { ADMIN_LOGIN_LIMIT } from '../http/routes/admin'
import { createMetrics, type Metrics } from '../observability/create-metrics'
import { serveMetrics } from '../observability/serve-metrics'
import { createActivitySampler } from '../observability/activity-sampler'
import { closeQueues, createQueues, type Queues } from '../queue/create-queues'
import { missingSchedules } from '../queue/schedules'
import { registerSweepAgeMetric } from '../observability/sweep-age-metric'
import { createRedis, pingRedis } from '../store/create-redis'
import { createLoginAttemptStore } from '../store/login-attempt-store'
import { createServices } from './create-services'
import { createPersonControls } from '../app/commands/create-person-controls'
import { createAdminUseCases } from '../app/admin/create-admin-use-cases'
import { within } from './startup'

export interface RunningWeb {
  url: string
  /** null without WEB_METRICS_PORT */
  metricsUrl: string | null
  stop(): Promise<void>
}

export interface WebConnections {
  /** queues: fail fast, so a route can answer 503 and Graph retries */
  producer: Redis
  /** /readyz */
  probe: Redis
  /** state reads and writes */
  state: Redis
}

/** The web process's app on its connections: queues, the services object, the routes. No listening. */
export async function buildWebApp(
  config: Config,
  log: Logger,
  metrics: Metrics,
  connections: WebConnections,
  opts: { timeouts?: Partial<HttpTimeouts> | undefined } = {}
): Promise<{ app: FastifyInstance; queues: Queues; services: Services }> {
  const queues = createQueues(connections.producer, config.queuePrefix, log)
  const services = createServices(config, log, metrics.registry, { state: connections.state, queues })
  const app = await buildApp({
    config,
    logger: log,
    metrics,
    queues,
    checkRedis: () => pingRedis(connections.probe, 1000),
    missingSchedules: () => within(1000, 'reading the job schedulers', missingSchedules(queues)),
    notifications: createNotificationIntake(services),
    loginAttempts: createLoginAttemptStore(connections.state, config.queuePrefix, ADMIN_LOGIN_LIMIT),
    personControls: createPersonControls(services),
    adminUseCases: createAdminUseCases(services, connections.state),
    ...(opts.timeouts !== undefined ? { timeouts: opts.timeouts } : {})
  })
  registerSweepAgeMetric(metrics.registry, async () => (await services.sweeps.lastCompleted())?.finishedAt ?? null)
  return { app, queues, services }
}

/** Composition root of the web process: connections, the app; returns how to stop it. */
export async function startWeb(config: Config, log: Logger): Promise<RunningWeb> {
  const connections: WebConnections = {
    producer: createRedis(config.redisUrl, 'producer', log),
    probe: createRedis(config.redisUrl, 'probe', log),
    // State (subscription look-ups) on its own connection: sharing BullMQ's (and its loaded
    // scripts) made every pipeline several times dearer (bench/notification-ingest.ts).
    state: createRedis(config.redisUrl, 'producer', log)
  }
  if (config.mattermost && !config.mattermost.commandToken)
    log.info('MM_COMMAND_TOKEN is not set: the /calstatus command is off (README, "The /calstatus command")')
  if (config.mattermost && !config.publicUrl)
    log.warn('PUBLIC_URL is not set: no settings buttons and no "Ask first" (their buttons call PUBLIC_URL/mattermost/actions)')
  const metrics = createMetrics('web')
  const { app, queues, services } = await buildWebApp(config, log, metrics, connections)
  // The admin page's last 24 hours: this process's share, every 10 s.
  const activity = createActivitySampler({ registry: metrics.registry, activity: services.activity, log })
  activity.start()
  const url = await app.listen({ port: config.port, host: config.host })
  log.info({ url }, 'web listening')
  const metricsServer =
    config.webMetricsPort === null
      ? null
      : await serveMetrics({ registry: metrics.registry, port: config.webMetricsPort, host: config.host, log, processName: 'web' })
  return {
    url,
    metricsUrl: metricsServer?.url ?? null,
    async stop() {
      // close() stops accepting connections and waits for in-flight requests.
      await within(config.shutdownTimeoutSeconds * 1000, 'closing the HTTP server', app.close())
      await metricsServer?.close()
      await activity.stop()
      await closeQueues(queues)
      for (const connection of [connections.producer, connections.probe, connections.state]) connection.disconnect()
    }
  }
}
