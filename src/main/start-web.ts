import type { Logger } from 'pino'
import { createNotificationIntake } from '../app/notification-intake'
import type { Config } from '../config'
import { buildApp } from '../http/build-app'
import { createMetrics } from '../observability/create-metrics'
import { closeQueues, createQueues } from '../queue/create-queues'
import { createRedis, pingRedis } from '../store/create-redis'
import { createServices } from './create-services'
import { within } from './startup'

export interface RunningWeb {
  url: string
  stop(): Promise<void>
}

/** Composition root of the web process: connections, the services object, the app; returns how to stop it. */
export async function startWeb(config: Config, log: Logger): Promise<RunningWeb> {
  const producer = createRedis(config.redisUrl, 'producer', log)
  const probe = createRedis(config.redisUrl, 'probe', log)
  // State (subscription look-ups) on its own connection: sharing BullMQ's (and its loaded
  // scripts) made every pipeline several times dearer (measured in bench/notification-ingest).
  const state = createRedis(config.redisUrl, 'producer', log)
  const metrics = createMetrics('web')
  const queues = createQueues(producer, config.queuePrefix, log)
  const services = createServices(config, log, metrics.registry, { state, queues })
  if (config.mattermost?.commandToken) log.warn('MM_COMMAND_TOKEN is set, but this version has no /calstatus command yet: Mattermost would get a 404')
  const app = await buildApp({
    config,
    logger: log,
    metrics,
    queues,
    checkRedis: () => pingRedis(probe, 1000),
    notifications: createNotificationIntake(services)
  })
  const url = await app.listen({ port: config.port, host: config.host })
  log.info({ url }, 'web listening')
  return {
    url,
    async stop() {
      // close() stops accepting connections and waits for in-flight requests.
      await within(config.shutdownTimeoutSeconds * 1000, 'closing the HTTP server', app.close())
      await closeQueues(queues)
      producer.disconnect()
      probe.disconnect()
      state.disconnect()
    }
  }
}
