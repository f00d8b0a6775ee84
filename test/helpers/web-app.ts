import type { Test } from 'tap'
import { Writable } from 'node:stream'
import { loadConfig, type Env } from '../../src/config'
import type { HttpTimeouts } from '../../src/http/build-app'
import { createLogger } from '../../src/observability/create-logger'
import { createMetrics } from '../../src/observability/create-metrics'
import { createRedis, pingRedis } from '../../src/store/create-redis'
import { closeQueues } from '../../src/queue/create-queues'
import { buildWebApp } from '../../src/main/start-web'

/** A logger that writes nowhere. */
export const silentLogger = createLogger({ level: 'silent', name: 'web' }, new Writable({ write: (_c, _e, done) => done() }))

export interface WebAppOptions {
  prefix?: string
  /** more of the environment (REDIS_URL and QUEUE_PREFIX come from the options) */
  env?: Env
  /** keep the app's log lines (info and up) in `lines` */
  keepLog?: boolean
  timeouts?: Partial<HttpTimeouts>
}

/**
 * The web process's app as `startWeb` builds it (buildWebApp: queues, the services object, the
 * routes) on a real Redis, without listening: for `app.inject`. Closed at the test's teardown.
 */
export async function startWebApp(t: Test, redisUrl: string, opts: WebAppOptions = {}) {
  const lines: string[] = []
  const log = opts.keepLog
    ? createLogger(
        { level: 'info', name: 'web' },
        new Writable({
          write(chunk, _enc, done) {
            lines.push(String(chunk))
            done()
          }
        })
      )
    : silentLogger
  const { config } = loadConfig({ ...opts.env, REDIS_URL: redisUrl, ...(opts.prefix !== undefined ? { QUEUE_PREFIX: opts.prefix } : {}) })
  const producer = createRedis(redisUrl, 'producer', log)
  const metrics = createMetrics('web')
  const { app, queues, services } = await buildWebApp(config, log, metrics, { producer, probe: producer, state: producer }, { timeouts: opts.timeouts })
  t.teardown(async () => {
    await app.close()
    await closeQueues(queues)
    producer.disconnect()
  })
  await pingRedis(producer, 3000)
  return { app, queues, subs: services.subscriptions, producer, metrics, config, lines }
}
