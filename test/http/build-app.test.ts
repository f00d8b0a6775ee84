import t, { type Test } from 'tap'
import { connect } from 'node:net'
import type { Env } from '../../src/config'
import { HTTP_TIMEOUTS, type HttpTimeouts } from '../../src/http/build-app'
import { serveMetrics } from '../../src/observability/serve-metrics'
import { upsertSchedules } from '../../src/queue/schedules'
import { usePrivateRedis } from '../helpers/redis-server'
import { silentLogger, startWebApp } from '../helpers/web-app'

const ADMIN = { ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'correct horse battery staple' }
const basic = (user: string, pass: string): string => 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64')

/** The web app as the process builds it, its log lines kept. */
async function build(t: Test, env: Env, redisUrl: string, opts: { timeouts?: Partial<HttpTimeouts> } = {}) {
  return startWebApp(t, redisUrl, { env, prefix: `{test-${process.pid}}`, keepLog: true, ...opts })
}

t.test('health and readiness; the reason Redis is away goes to the log, not to the caller', async (t) => {
  // Persisted, so the job schedulers (readiness needs them) outlive the restart below.
  const redis = await usePrivateRedis(t, { appendfsync: 'always' })
  const { app, lines, queues, config } = await build(t, {}, redis.url)
  await upsertSchedules(queues, config)

  const health = await app.inject('/healthz')
  t.equal(health.statusCode, 200)
  t.same(health.json(), { status: 'ok' })
  t.ok(health.headers['x-request-id'], 'every reply carries a request id')

  t.equal((await app.inject('/readyz')).statusCode, 200)

  await redis.stop()
  const down = await app.inject('/readyz')
  t.equal(down.statusCode, 503, 'not ready while Redis is away')
  t.same(down.json(), { status: 'unavailable', reason: 'redis unavailable' }, 'no Redis client text in the body')
  t.ok(
    lines.some((l) => l.includes('"msg":"not ready: redis unavailable"') && l.includes('"err":')),
    'the detail is in the log'
  )
  t.equal((await app.inject('/healthz')).statusCode, 200, 'liveness does not depend on Redis')

  await redis.restart()
  let ready = 0
  for (let i = 0; i < 50 && ready !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100))
    ready = (await app.inject('/readyz')).statusCode
  }
  t.equal(ready, 200, 'ready again once Redis is back, without a restart')
})

t.test('metrics: not on the public listener; on their own port, with the requests the app served', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app, metrics } = await build(t, {}, redis.url)
  const publicMetrics = await app.inject('/metrics')
  t.equal(publicMetrics.statusCode, 404, 'no /metrics where anyone can reach it')
  t.notMatch(publicMetrics.body, /calstatus_/)

  const server = await serveMetrics({ registry: metrics.registry, port: 0, host: '127.0.0.1', log: silentLogger, processName: 'web' })
  t.teardown(() => server.close())
  t.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
  const res = await fetch(server.url)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/plain/)
  const body = await res.text()
  t.match(body, /calstatus_process_cpu_seconds_total/, 'default metrics')
  t.match(body, /calstatus_http_request_duration_seconds_count\{process="web",method="GET",route="unmatched",status="404"/, "the project's own metrics")
  t.equal((await fetch(server.url.replace('/metrics', '/healthz'))).status, 200)
  t.equal((await fetch(server.url.replace('/metrics', '/other'))).status, 404)
})

t.test('security headers on every reply: success, errors, 404s, admin challenges', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app } = await build(t, ADMIN, redis.url)
  app.get('/boom', async () => {
    throw new Error('boom')
  })
  const replies = await Promise.all([
    app.inject('/healthz'),
    app.inject('/nope'),
    app.inject('/boom'),
    app.inject('/admin/queues'),
    app.inject({ method: 'POST', url: '/graph/notifications?validationToken=abc' }),
    app.inject({ method: 'POST', url: '/graph/notifications', headers: { 'content-type': 'text/html' }, payload: '<b>x</b>' })
  ])
  t.same(
    replies.map((r) => r.statusCode),
    [200, 404, 500, 401, 200, 415]
  )
  for (const r of replies) {
    t.equal(r.headers['x-content-type-options'], 'nosniff', `${r.statusCode}: nosniff`)
    t.equal(r.headers['x-frame-options'], 'DENY', `${r.statusCode}: not framed`)
    t.equal(r.headers['referrer-policy'], 'no-referrer')
  }
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
  app.get('/unavailable', async () => {
    throw Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:6379'), { statusCode: 503 })
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

  // A 503 that is not our own HttpError (a driver's, a plugin's) gets a generic text too.
  const unavailable = await app.inject('/unavailable')
  t.equal(unavailable.statusCode, 503)
  t.equal(unavailable.json().message, 'service unavailable, try again later')
  t.notMatch(unavailable.body, /ECONNREFUSED|10\.1\.2\.3/)

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

t.test('admin: 10 failed logins from one address in a minute, then 429 with Retry-After, a right login too', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app, producer, config } = await build(t, ADMIN, redis.url)
  const from = (remoteAddress: string, authorization?: string) =>
    app.inject({ url: '/admin/queues', remoteAddress, ...(authorization !== undefined ? { headers: { authorization } } : {}) })
  const right = basic('ops', ADMIN.ADMIN_PASSWORD)

  for (let i = 1; i <= 10; i++) t.equal((await from('10.0.0.1', basic('ops', `guess ${i}`))).statusCode, 401, `failure ${i}: 401`)
  const limited = await from('10.0.0.1', basic('ops', 'guess 11'))
  t.equal(limited.statusCode, 429, 'the 11th attempt is refused without an answer about the credentials')
  t.match(limited.json().message, /too many failed admin logins from this address/)
  const retryAfter = Number(limited.headers['retry-after'])
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After in seconds, within the minute (${retryAfter})`)
  t.equal(limited.headers['www-authenticate'], undefined, 'no new challenge while limited')

  const rightButLimited = await from('10.0.0.1', right)
  t.equal(rightButLimited.statusCode, 429, 'a right login is refused too while limited')
  t.notMatch(rightButLimited.body, /bull|queue/i)
  t.equal((await from('10.0.0.1')).statusCode, 401, 'without credentials: the challenge, as always (no guess, nothing counted)')
  t.equal((await from('10.0.0.2', right)).statusCode, 200, 'another address is not limited')

  // Concurrent guesses cannot slip past the count: of 30 at once, at most 10 get an answer.
  const burst = await Promise.all(Array.from({ length: 30 }, (_, i) => from('10.0.0.3', basic('ops', `burst ${i}`))))
  t.equal(burst.filter((r) => r.statusCode === 401).length, 10, '10 answered')
  t.equal(burst.filter((r) => r.statusCode === 429).length, 20, 'the rest refused')

  // The window ends (shortened here, rather than waited for): the address may try again.
  const key = `${config.queuePrefix}:admin-login-failures:10.0.0.1`
  t.ok((await producer.pttl(key)) > 0, 'the count expires')
  await producer.pexpire(key, 1)
  await new Promise((r) => setTimeout(r, 50))
  t.equal((await from('10.0.0.1', right)).statusCode, 200, 'a right login once the window has passed')
})

t.test('admin: the limit is shared by every web process on the same Redis', async (t) => {
  const redis = await usePrivateRedis(t)
  const first = await build(t, ADMIN, redis.url)
  const second = await build(t, ADMIN, redis.url)
  for (let i = 0; i < 10; i++) {
    const app = i % 2 === 0 ? first.app : second.app
    t.equal((await app.inject({ url: '/admin', remoteAddress: '10.9.9.9', headers: { authorization: basic('ops', `guess ${i}`) } })).statusCode, 401)
  }
  for (const { app } of [first, second]) {
    const res = await app.inject({ url: '/admin', remoteAddress: '10.9.9.9', headers: { authorization: basic('ops', ADMIN.ADMIN_PASSWORD) } })
    t.equal(res.statusCode, 429, 'limited on both')
  }
})

t.test('admin: Redis away, the limit fails open but the credentials are still checked', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app, lines } = await build(t, ADMIN, redis.url)
  await redis.stop()
  const wrong = await app.inject({ url: '/admin', remoteAddress: '10.0.0.1', headers: { authorization: basic('ops', 'wrong guess') } })
  t.equal(wrong.statusCode, 401, 'wrong credentials: still 401')
  const right = await app.inject({ url: '/admin', remoteAddress: '10.0.0.1', headers: { authorization: basic('ops', ADMIN.ADMIN_PASSWORD) } })
  t.equal(right.statusCode, 200, 'right credentials: let in, nobody is locked out')
  t.ok(
    lines.some((l) => l.includes('could not count admin login attempts') && l.includes('"err":')),
    'the skipped limit is logged'
  )
})

t.test('timeouts: a client who sends the headers and then stalls the body is cut off', async (t) => {
  const redis = await usePrivateRedis(t)
  const defaults = await build(t, {}, redis.url)
  t.equal(defaults.app.server.requestTimeout, HTTP_TIMEOUTS.request, 'production requests have a time limit')
  t.equal(HTTP_TIMEOUTS.request, 30_000)
  t.ok(HTTP_TIMEOUTS.idle > HTTP_TIMEOUTS.keepAlive, 'an idle keep-alive connection is closed by keep-alive, not by the idle limit')

  // A short limit, so the test need not wait 30 s; what is checked is that the socket ends.
  const { app } = await build(t, {}, redis.url, { timeouts: { request: 500, checkEvery: 100 } })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = new URL(address)
  const socket = connect(Number(port), '127.0.0.1')
  t.teardown(() => socket.destroy())
  let received = ''
  socket.on('data', (d) => (received += String(d)))
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  socket.write('POST /graph/notifications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"value": [')
  let timer: NodeJS.Timeout | undefined
  const outcome = await Promise.race([closed.then(() => 'closed'), new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still open'), 20_000)))])
  clearTimeout(timer)
  t.equal(outcome, 'closed', 'the server closed the connection')
  t.match(received, /^HTTP\/1\.1 408 /, 'with 408 Request Timeout')
})
