import type { Logger } from 'pino'
import type { Config } from '../config'
import { createRedis, pingRedis } from '../store/create-redis'
import { createMetrics } from '../observability/create-metrics'
import { createQueues, closeQueues } from '../queue/create-queues'
import { buildApp } from '../http/build-app'
import { createSubscriptionStore } from '../store/subscription-store'
import { createNotificationIntake } from '../queue/create-notification-intake'
import { within } from './startup'

export interface RunningWeb {
  url: string
  stop(): Promise<void>
}

/** Composition root of the web process: connections, queues, app; returns how to stop it. */
export async function startWeb(config: Config, log: Logger): Promise<RunningWeb> {
  const producer = createRedis(config.redisUrl, 'producer', log)
  const probe = createRedis(config.redisUrl, 'probe', log)
  // Subscription look-ups on their own connection: sharing BullMQ's (and its loaded scripts)
  // made every pipeline several times dearer (measured in bench/notification-ingest).
  const lookups = createRedis(config.redisUrl, 'producer', log)
  const metrics = createMetrics('web')
  const queues = createQueues(producer, config.queuePrefix, log)
  const app = await buildApp({
    config,
    logger: log,
    metrics,
    queues,
    checkRedis: () => pingRedis(probe, 1000),
    notifications: createNotificationIntake(queues, createSubscriptionStore(lookups, config.queuePrefix))
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
      lookups.disconnect()
    }
  }
}
