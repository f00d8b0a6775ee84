import type { Test } from 'tap'
import { Writable } from 'node:stream'
import { loadConfig } from '../../src/config'
import { createLogger } from '../../src/observability/create-logger'
import { createMetrics } from '../../src/observability/create-metrics'
import { createRedis, pingRedis } from '../../src/store/create-redis'
import { closeQueues } from '../../src/queue/create-queues'
import { buildWebApp } from '../../src/main/start-web'

/** A logger that writes nowhere. */
export const silentLogger = createLogger({ level: 'silent', name: 'web' }, new Writable({ write: (_c, _e, done) => done() }))

/**
 * The web process's app as `startWeb` builds it (buildWebApp: queues, the services object, the
 * routes) on a real Redis, without listening: for `app.inject`. Closed at the test's teardown.
 */
export async function startWebApp(t: Test, redisUrl: string, prefix?: string) {
  const { config } = loadConfig({ REDIS_URL: redisUrl, ...(prefix !== undefined ? { QUEUE_PREFIX: prefix } : {}) })
  const producer = createRedis(redisUrl, 'producer', silentLogger)
  const metrics = createMetrics('web')
  const { app, queues, services } = await buildWebApp(config, silentLogger, metrics, { producer, probe: producer, state: producer })
  t.teardown(async () => {
    await app.close()
    await closeQueues(queues)
    producer.disconnect()
  })
  await pingRedis(producer, 3000)
  return { app, queues, subs: services.subscriptions, producer, metrics }
}
