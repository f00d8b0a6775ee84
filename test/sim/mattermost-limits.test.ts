import t, { type Test } from 'tap'
import { request as httpRequest, Agent } from 'node:http'
import { startMattermostSim, type MattermostSim, type MattermostSimOptions } from '../../sim/mattermost/server'

// Rate limiting as the server does it, injected failures, latency, response shapes, body
// limits, and a clean stop (mattermost.md "Rate limiting").

interface Res {
  status: number
  headers: Headers
  text: string
}

async function api(sim: MattermostSim, method: string, path: string, body?: unknown): Promise<Res> {
  const headers: Record<string, string> = { Authorization: `Bearer ${sim.botToken}` }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(sim.url + path, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) })
  return { status: res.status, headers: res.headers, text: await res.text() }
}

async function start(t: Test, opts: MattermostSimOptions = {}): Promise<MattermostSim> {
  const sim = await startMattermostSim({ botRoles: 'system_user system_admin', dndExpiryPeriodMs: 0, ...opts })
  t.teardown(() => sim.stop())
  return sim
}

t.test('rate limiting: burst + 1 pass, then a plain-text 429 with the X-Ratelimit headers and Retry-After', async (t) => {
  // 2/s on the simulator's own clock, held still: the seven requests land at one instant however
  // slow the machine (on the wall clock they had to within 500 ms, and a loaded run missed it).
  const clock = { ms: Date.now() }
  const sim = await start(t, { rateLimit: { perSec: 2, maxBurst: 5 }, now: () => clock.ms })
  const first = await api(sim, 'GET', '/api/v4/users/me')
  t.equal(first.status, 200)
  t.equal(first.headers.get('x-ratelimit-limit'), '6', 'every answer carries the limit (burst + 1)')
  t.equal(first.headers.get('x-ratelimit-remaining'), '5')
  t.ok(first.headers.get('x-ratelimit-reset'))
  t.equal(first.headers.get('retry-after'), null, 'no Retry-After when not refused')
  for (let i = 0; i < 5; i++) t.equal((await api(sim, 'GET', '/api/v4/users/me')).status, 200)

  const refused = await api(sim, 'GET', '/api/v4/users/me')
  t.equal(refused.status, 429)
  t.equal(refused.text, 'limit exceeded\n', 'http.Error body: plain text, not JSON')
  t.equal(refused.headers.get('content-type'), 'text/plain; charset=utf-8')
  t.equal(refused.headers.get('x-ratelimit-limit'), '6')
  t.equal(refused.headers.get('x-ratelimit-remaining'), '0')
  t.equal(refused.headers.get('retry-after'), '1', 'seconds, rounded up')
  t.ok(Number(refused.headers.get('x-ratelimit-reset')) >= 1)
  t.equal(sim.counters().throttled, 1)

  clock.ms += 500
  t.equal((await api(sim, 'GET', '/api/v4/users/me')).status, 200, 'one emission interval later, one more passes')
  t.equal((await api(sim, 'GET', '/api/v4/users/me')).status, 429)
  sim.driver.setRateLimit(false)
  t.equal((await api(sim, 'GET', '/api/v4/users/me')).status, 200, 'switched off')
  t.equal((await api(sim, 'GET', '/api/v4/users/me')).headers.get('x-ratelimit-limit'), null)
})

t.test('rate limiting defaults to 10/s with a burst of 100 per remote address', async (t) => {
  const sim = await start(t, { rateLimit: true })
  const t0 = performance.now()
  const results = await Promise.all(Array.from({ length: 110 }, () => api(sim, 'GET', '/api/v4/users/me')))
  const elapsed = performance.now() - t0
  const ok = results.filter((r) => r.status === 200).length
  // 101 at once, plus one per 100 ms the burst took to arrive.
  t.ok(ok >= 101 && ok <= 101 + Math.ceil(elapsed / 100), `101 pass at once (got ${ok} in ${Math.round(elapsed)} ms)`)
  t.equal(sim.counters().throttled, 110 - ok)
})

t.test('injected faults: 429, 503 and proxy 502 before the handler, or after it ran (applied)', async (t) => {
  const sim = await start(t)
  const u = sim.driver.addUser()
  const route = 'PUT /api/v4/users/{user_id}/status'
  const dnd = { user_id: u.id, status: 'dnd', dnd_end_time: Math.floor(Date.now() / 1000) + 3600 }

  sim.driver.injectFaults(1, { status: 429, retryAfterSeconds: 3 })
  const limited = await api(sim, 'GET', '/api/v4/users/me')
  t.equal(limited.status, 429)
  t.equal(limited.text, 'limit exceeded\n')
  t.equal(limited.headers.get('retry-after'), '3')
  t.equal((await api(sim, 'GET', '/api/v4/users/me')).status, 200, 'only the next one')

  sim.driver.injectFaults(1, { status: 503, route })
  t.equal((await api(sim, 'GET', '/api/v4/users/me')).status, 200, 'a route-bound fault waits for its route')
  const busy = await api(sim, 'PUT', `/api/v4/users/${u.id}/status`, dnd)
  t.equal(busy.status, 503)
  t.equal(busy.headers.get('content-type'), 'application/json')
  t.equal(sim.driver.status(u.id).status, 'offline', 'not applied')

  sim.driver.seedStatus(u.id, { status: 'online', manual: false })
  sim.driver.injectFaults(1, { status: 502, route, applied: true })
  const lost = await api(sim, 'PUT', `/api/v4/users/${u.id}/status`, dnd)
  t.equal(lost.status, 502)
  t.match(lost.text, /<html>/, 'the proxy answers HTML')
  t.equal(sim.driver.status(u.id).status, 'dnd', 'but Mattermost did apply it')
  t.equal((await api(sim, 'PUT', `/api/v4/users/${u.id}/status`, dnd)).status, 200, 'a blind retry...')
  t.equal(sim.driver.status(u.id).prev_status, 'dnd', '...makes the expiry restore dnd instead of online')

  sim.driver.injectFaults(1, { reset: true })
  await t.rejects(fetch(`${sim.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${sim.botToken}` } }), TypeError, 'a reset is a fetch failure')
  t.equal(sim.counters().injectedFailures, 3)
  t.equal(sim.counters().throttled, 1)
})

t.test('latency is added to every API call; counters see the peak rate in any 1 s window', async (t) => {
  const sim = await start(t, { latencyMs: 25 })
  const t0 = performance.now()
  await api(sim, 'GET', '/api/v4/users/me')
  t.ok(performance.now() - t0 >= 24, 'at least the configured latency')
  sim.driver.setLatency(0)
  sim.resetCounters()
  await Promise.all(Array.from({ length: 30 }, () => api(sim, 'GET', '/api/v4/users/me')))
  const c = sim.counters()
  t.equal(c.requests['GET /api/v4/users/{user_id}'], 30)
  t.equal(c.maxRequestsPerSecond, 30)
  t.equal(c.maxRequestsPerSecondOver5s, 6, 'over 5 s: 30 requests, 6 a second')
  t.equal(c.total, 30)
})

t.test('answers: JSON with Content-Type exactly application/json, errors in the server shape, 404 and 405', async (t) => {
  const sim = await start(t)
  const ok = await api(sim, 'GET', '/api/v4/users/me')
  t.equal(ok.headers.get('content-type'), 'application/json')
  t.match(ok.headers.get('x-request-id'), /^[a-z0-9]{26}$/)
  const bad = await api(sim, 'GET', '/api/v4/users/abc')
  t.equal(bad.headers.get('content-type'), 'application/json')
  const err = JSON.parse(bad.text)
  t.same(Object.keys(err).sort(), ['detailed_error', 'id', 'message', 'request_id', 'status_code'])
  t.equal(err.request_id, bad.headers.get('x-request-id'))
  const missing = await api(sim, 'GET', '/api/v4/nothing/here')
  t.equal(missing.status, 404)
  t.equal(JSON.parse(missing.text).id, 'api.context.404.app_error')
  t.equal((await api(sim, 'DELETE', '/api/v4/users/status/ids')).status, 405)
  t.equal(
    (await api(sim, 'POST', '/api/v4/users/ids', JSON.stringify(['a'.repeat(26)]) + ' '.repeat(300_000))).status,
    413,
    'the body limit applies to every route'
  )
  sim.driver.setConfig({ maxPayloadBytes: 1000 })
  t.equal(
    (
      await api(
        sim,
        'POST',
        '/api/v4/users/status/ids',
        Array.from({ length: 40 }, () => 'a'.repeat(26))
      )
    ).status,
    413,
    'MaximumPayloadSizeBytes is configurable'
  )
})

t.test('stop() closes idle keep-alive connections so the process can exit', async (t) => {
  const sim = await startMattermostSim({ dndExpiryPeriodMs: 60_000 })
  const agent = new Agent({ keepAlive: true })
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpRequest(`${sim.url}/api/v4/users/me`, { agent, headers: { Authorization: `Bearer ${sim.botToken}` } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
  t.equal(status, 200)
  const t0 = performance.now()
  await sim.stop()
  // Left open, an idle keep-alive connection holds close() for Node's keep-alive timeout (5 s):
  // well under that means stop() closed it.
  t.ok(performance.now() - t0 < 4000, 'stop does not wait for the keep-alive timeout')
  agent.destroy()
  await t.rejects(fetch(`${sim.url}/api/v4/users/me`), TypeError, 'nothing listens any more')
})
