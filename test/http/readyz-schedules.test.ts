import t from 'tap'
import { loadConfig } from '../../src/config'
import { upsertSchedules } from '../../src/queue/schedules'
import { usePrivateRedis } from '../helpers/redis-server'
import { startWebApp } from '../helpers/web-app'

// The web's readiness follows the job schedulers: without them nothing is swept or enrolled.

t.test('/readyz: 503 while the job schedulers are missing, 200 once they are there', async (t) => {
  const redis = await usePrivateRedis(t)
  const prefix = '{readyz}'
  const { app, queues, producer, metrics } = await startWebApp(t, redis.url, { prefix })

  const before = await app.inject('/readyz')
  t.equal(before.statusCode, 503, 'no worker has upserted them yet')
  t.same(before.json(), { status: 'unavailable', reason: 'schedulers missing' }, 'a generic reason')

  const { config } = loadConfig({ REDIS_URL: redis.url, QUEUE_PREFIX: prefix })
  await upsertSchedules(queues, config)
  t.equal((await app.inject('/readyz')).statusCode, 200, 'ready with them')

  await producer.flushall()
  t.match((await app.inject('/readyz')).json(), { reason: 'schedulers missing' }, 'Redis lost its data: not ready')
  t.equal((await app.inject('/healthz')).statusCode, 200, 'still alive')

  t.match(await metrics.registry.metrics(), /^calstatus_sweep_last_completed_age_seconds\{process="web"\} \d/m, 'the sweep age is exported')
})
