import type { Test } from 'tap'
import { Writable } from 'node:stream'
import { buildApp } from '../../src/http/build-app'
import { loadConfig } from '../../src/config'
import { createLogger } from '../../src/observability/create-logger'
import { createMetrics } from '../../src/observability/create-metrics'
import { createRedis, pingRedis } from '../../src/store/create-redis'
import { createQueues, closeQueues } from '../../src/queue/create-queues'
import { createNotificationIntake } from '../../src/app/notification-intake'
import { createServices } from '../../src/main/create-services'

/** A logger that writes nowhere. */
export const silentLogger = createLogger({ level: 'silent', name: 'web' }, new Writable({ write: (_c, _e, done) => done() }))

/**
 * The web process's app as `startWeb` wires it (queues, the services object, notification
 * intake) on a real Redis, without listening: for `app.inject`. Closed at the test's teardown.
 */
export async function startWebApp(t: Test, redisUrl: string, prefix?: string) {
  const { config } = loadConfig({ REDIS_URL: redisUrl, ...(prefix !== undefined ? { QUEUE_PREFIX: prefix } : {}) })
  const producer = createRedis(redisUrl, 'producer', silentLogger)
  const queues = createQueues(producer, config.queuePrefix, silentLogger)
  const metrics = createMetrics('web')
  const services = createServices(config, silentLogger, metrics.registry, { state: producer, queues })
  const subs = services.subscriptions
  const app = await buildApp({
    config,
    logger: silentLogger,
    metrics,
    queues,
    checkRedis: () => pingRedis(producer, 1000),
    notifications: createNotificationIntake(services)
  })
  t.teardown(async () => {
    await app.close()
    await closeQueues(queues)
    producer.disconnect()
  })
  await pingRedis(producer, 3000)
  return { app, queues, subs, producer, metrics }
}
