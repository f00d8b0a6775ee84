import t, { type Test } from 'tap'
import { Writable } from 'node:stream'
import { buildApp } from '../../src/http/build-app'
import { loadConfig, type Env } from '../../src/config'
import { createLogger } from '../../src/observability/create-logger'
import { createMetrics } from '../../src/observability/create-metrics'
import { createRedis, pingRedis } from '../../src/store/create-redis'
import { createQueues, closeQueues } from '../../src/queue/create-queues'
import { usePrivateRedis } from '../helpers/redis-server'
import { createNotificationIntake } from '../../src/app/notification-intake'
import { createJobQueue } from '../../src/queue/create-job-queue'
import { createSubscriptionStore } from '../../src/store/subscription-store'

const ADMIN = { ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'correct horse battery staple' }
const basic = (user: string, pass: string): string => 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64')

async function build(t: Test, env: Env, redisUrl: string) {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk))
      done()
    }
  })
  const log = createLogger({ level: 'info', name: 'web' }, sink)
  const { config } = loadConfig({ ...env, REDIS_URL: redisUrl, QUEUE_PREFIX: `{test-${process.pid}}` })
  const producer = createRedis(redisUrl, 'producer', log)
  const probe = createRedis(redisUrl, 'probe', log)
  const queues = createQueues(producer, config.queuePrefix, log)
  const app = await buildApp({
    config,
    logger: log,
    metrics: createMetrics('web'),
    queues,
    checkRedis: () => pingRedis(probe, 1000),
    notifications: createNotificationIntake({ subscriptions: createSubscriptionStore(producer, config.queuePrefix), jobs: createJobQueue(queues) })
  })
  t.teardown(async () => {
    await app.close()
    await closeQueues(queues)
    producer.disconnect()
    probe.disconnect()
  })
  return { app, lines, queues, producer }
}

t.test('health, readiness and metrics', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app } = await build(t, {}, redis.url)

  const health = await app.inject('/healthz')
  t.equal(health.statusCode, 200)
  t.same(health.json(), { status: 'ok' })
  t.ok(health.headers['x-request-id'], 'every reply carries a request id')

  t.equal((await app.inject('/readyz')).statusCode, 200)

  await redis.stop()
  const down = await app.inject('/readyz')
  t.equal(down.statusCode, 503, 'not ready while Redis is away')
  t.match(down.json(), { status: 'unavailable', reason: /^redis: / })
  t.equal((await app.inject('/healthz')).statusCode, 200, 'liveness does not depend on Redis')

  await redis.restart()
  let ready = 0
  for (let i = 0; i < 50 && ready !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100))
    ready = (await app.inject('/readyz')).statusCode
  }
  t.equal(ready, 200, 'ready again once Redis is back, without a restart')

  const metrics = await app.inject('/metrics')
  t.equal(metrics.statusCode, 200)
  t.match(metrics.headers['content-type'], /^text\/plain/)
  t.match(metrics.body, /calstatus_process_cpu_seconds_total/, 'default metrics')
  t.match(metrics.body, /calstatus_http_request_duration_seconds_count\{process="web",method="GET",route="\/readyz",status="503"/, "the project's own metrics")
})

t.test('request ids: a sane incoming id is kept, an odd one replaced', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app } = await build(t, {}, redis.url)
  t.equal((await app.inject({ url: '/healthz', headers: { 'x-request-id': 'lb-1234' } })).headers['x-request-id'], 'lb-1234')
  const odd = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id\u0000' } })
  t.match(odd.headers['x-request-id'], /^[0-9a-f-]{36}$/)
})

t.test('errors: 404 with a reason, no stack traces, 4xx reasons kept', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app } = await build(t, {}, redis.url)
  app.get('/boom', async () => {
    throw new Error('secret internals at /srv/app.js:12')
  })
  app.post('/echo', { schema: { body: { type: 'object', required: ['a'], properties: { a: { type: 'string' } } } } }, async (req) => req.body)

  const missing = await app.inject('/nope?x=1')
  t.equal(missing.statusCode, 404)
  t.same(missing.json(), { error: 'Not Found', message: 'no route for GET /nope', requestId: missing.headers['x-request-id'] })

  const boom = await app.inject('/boom')
  t.equal(boom.statusCode, 500)
  t.same(Object.keys(boom.json()).sort(), ['error', 'message', 'requestId'])
  t.equal(boom.json().message, 'internal error')
  t.notMatch(boom.body, /secret internals|app\.js|at /)

  const invalid = await app.inject({ method: 'POST', url: '/echo', payload: { b: 1 } })
  t.equal(invalid.statusCode, 400)
  t.match(invalid.json().message, /must have required property 'a'/)

  const malformed = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":' })
  t.equal(malformed.statusCode, 400)
  t.notMatch(malformed.body, /at JSON\.parse|node_modules/)

  const big = await app.inject({
    method: 'POST',
    url: '/echo',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ a: 'x'.repeat(1024 * 1024 + 1) })
  })
  t.equal(big.statusCode, 413)

  const media = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/xml' }, payload: '<a/>' })
  t.equal(media.statusCode, 415)
})

t.test('admin: the whole /admin prefix needs basic auth; Bull Board shows every queue', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app, lines } = await build(t, ADMIN, redis.url)

  for (const url of ['/admin', '/admin/', '/admin/queues', '/admin/queues/api/queues', '/admin/anything/else', '/admin/queues/static/x.js']) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 401, `${url} without credentials`)
    t.match(res.headers['www-authenticate'], /^Basic realm="calstatus admin"/)
    t.notMatch(res.body, /bull|queue/i, 'nothing of the page leaks')
  }
  t.equal((await app.inject({ url: '/admin/queues', headers: { authorization: basic('ops', 'wrong') } })).statusCode, 401, 'wrong password')
  t.equal((await app.inject({ url: '/admin/queues', headers: { authorization: basic('opz', ADMIN.ADMIN_PASSWORD) } })).statusCode, 401, 'wrong user')
  t.equal((await app.inject({ url: '/admin/queues', headers: { authorization: 'Bearer xyz' } })).statusCode, 401, 'other scheme')

  const auth = { authorization: basic('ops', ADMIN.ADMIN_PASSWORD) }
  const page = await app.inject({ url: '/admin/queues', headers: auth })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /text\/html/)
  const api = await app.inject({ url: '/admin/queues/api/queues', headers: auth })
  t.equal(api.statusCode, 200)
  t.same(
    api
      .json()
      .queues.map((q: { name: string }) => q.name)
      .sort(),
    ['maintenance', 'sweep', 'sync'],
    'every queue of the service'
  )
  t.equal((await app.inject({ url: '/admin', headers: auth })).statusCode, 200)
  t.equal((await app.inject({ url: '/admin/nothing-here', headers: auth })).statusCode, 404, 'unknown admin path: 404 once authenticated')
  t.notMatch(lines.join(''), /correct horse|b3BzOmNvcnJlY3Q/, 'the password never reaches the log')
})

t.test('admin: off (404 with a reason) when no admin credentials are configured', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app } = await build(t, {}, redis.url)
  for (const url of ['/admin', '/admin/queues', '/admin/x']) {
    const res = await app.inject({ url, headers: { authorization: basic('ops', 'anything') } })
    t.equal(res.statusCode, 404, url)
    t.match(res.json().message, /set ADMIN_USERNAME and ADMIN_PASSWORD/)
  }
})
