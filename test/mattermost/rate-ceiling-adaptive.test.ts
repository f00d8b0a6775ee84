import t, { type Test } from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { startMattermostSim } from '../../sim/mattermost/server'
import { createMattermostAdapter } from '../../src/mattermost/create-mattermost-adapter'
import { createMattermostHttp } from '../../src/mattermost/create-mattermost-http'
import { createMattermostMetrics } from '../../src/mattermost/mattermost-metrics'
import { createRateCeiling } from '../../src/mattermost/create-rate-ceiling'
import { createLogger } from '../../src/observability/create-logger'
import { usePrivateRedis } from '../helpers/redis-server'

// The adaptive part of the cluster-wide ceiling (src/mattermost/create-rate-ceiling.ts,
// docs/mattermost.md#rate-limiting) against the Mattermost simulator's own limiter (GCRA as
// Mattermost's `throttled`, per remote address: both clients here come from 127.0.0.1 and share
// one bucket at the server, as workers behind one address do).

const silent = createLogger({ level: 'silent', name: 'test' }, new Writable({ write: (_c, _e, done) => done() }))

async function cluster(t: Test, opts: { perSecond: number; rateLimit?: { perSec: number; maxBurst: number }; clients?: number }) {
  const server = await usePrivateRedis(t)
  const sim = await startMattermostSim({ botRoles: 'system_user system_user_manager', dndExpiryPeriodMs: 0, contract: 'off' })
  if (opts.rateLimit) sim.driver.setRateLimit(opts.rateLimit)
  const keyPrefix = `{t${Math.random().toString(36).slice(2, 8)}}`
  const connections: Redis[] = []
  // Independent clients: each its own Redis connection, registry and HTTP client, one ceiling key.
  const clients = Array.from({ length: opts.clients ?? 2 }, () => {
    const redis = new Redis(server.url)
    connections.push(redis)
    const registry = new Registry()
    const mm = createMattermostAdapter(
      { url: sim.url, botToken: sim.botToken, commandToken: null, adminUsers: [], maxRequestsPerSecond: opts.perSecond },
      { log: silent, registry, redis, keyPrefix },
      { backoffBaseMs: 20 }
    )
    return { mm, registry }
  })
  const probe = new Redis(server.url)
  connections.push(probe)
  const ceiling = createRateCeiling(probe, { key: `${keyPrefix}:mm:ceiling-state`, perSecond: opts.perSecond })
  t.teardown(async () => {
    for (const c of connections) c.disconnect()
    await sim.stop()
  })
  const user = sim.driver.addUser({ username: 'ann', email: 'ann@example.com' })
  return { sim, clients, ceiling, user }
}

t.test('rate limited at 10/s burst 100: 600 calls from two clients, under 1% answered 429, about as fast as the limit allows', async (t) => {
  const { sim, clients, ceiling, user } = await cluster(t, { perSecond: 200, rateLimit: { perSec: 10, maxBurst: 100 } })
  sim.resetCounters()
  const calls = 600
  const t0 = Date.now()
  await Promise.all(Array.from({ length: calls }, (_, i) => clients[i % clients.length]!.mm.getStatuses([user.id])))
  const elapsedS = (Date.now() - t0) / 1000
  const c = sim.counters()
  const ok = c.requests['POST /api/v4/users/status/ids'] ?? 0
  t.equal(ok - c.throttled, calls, 'every call answered')
  t.ok(c.throttled <= calls * 0.01, `at most 1% answered 429 (${c.throttled})`)
  // The server lets its burst of 101 through at once, then 10/s: (600 - 101) / 10 = 49.9 s.
  const ideal = (calls - 101) / 10
  t.ok(elapsedS <= ideal * 1.2 + 2, `finished in ${elapsedS.toFixed(1)} s, the limit allows ${ideal.toFixed(1)} s`)
  const allowance = await ceiling.allowance()
  t.ok(allowance.perSecond >= 5 && allowance.perSecond <= 10.5, `learned about 10/s (${allowance.perSecond.toFixed(2)}/s)`)
  const gauge = (await clients[0]!.registry.metrics()).match(/^calstatus_mattermost_allowed_rate (\S+)$/m)?.[1]
  t.ok(Number(gauge) <= 10.5, `the gauge shows the learned rate (${gauge})`)
})

t.test('rate limiting off: calls go at the configured ceiling (90% of it), nothing learned', async (t) => {
  const { sim, clients, ceiling, user } = await cluster(t, { perSecond: 40 })
  // Warm-up: the first answer ends the blind start of a new state.
  await clients[0]!.mm.getStatuses([user.id])
  sim.resetCounters()
  const calls = 72
  const t0 = Date.now()
  await Promise.all(Array.from({ length: calls }, (_, i) => clients[i % clients.length]!.mm.getStatuses([user.id])))
  const elapsed = Date.now() - t0
  t.equal(sim.counters().throttled, 0)
  // 72 slots 1/36 s apart: about 2 s; much longer would mean the ceiling slowed down for nothing.
  t.ok(elapsed >= 1900, `not faster than 36/s (${elapsed} ms)`)
  t.ok(elapsed <= 5000, `not much slower either (${elapsed} ms)`)
  t.same(await ceiling.allowance().then((a) => a.perSecond), 36, 'the rate stays at 90% of the ceiling')
})

t.test('a 429 cuts the rate at once, and it recovers gradually up to the ceiling', async (t) => {
  const { sim, clients, ceiling, user } = await cluster(t, { perSecond: 100, clients: 1 })
  const mm = clients[0]!.mm
  await mm.getStatuses([user.id])
  t.equal((await ceiling.allowance()).perSecond, 90, 'at the ceiling before')
  // One 429 as the server's limiter sends it (Limit 101, Remaining 0, Retry-After 1).
  sim.driver.injectFaults(1, { status: 429, retryAfterSeconds: 1, route: 'POST /api/v4/users/status/ids' })
  // Watch what the cluster is allowed while the call gets its 429, waits and retries.
  const watched: Array<{ perSecond: number; burst: number }> = []
  let done = false
  const watch = (async () => {
    while (!done) {
      watched.push(await ceiling.allowance())
      await new Promise((r) => setTimeout(r, 20))
    }
  })()
  const t429 = Date.now()
  await mm.getStatuses([user.id])
  done = true
  await watch
  t.ok(Date.now() - t429 >= 1000, 'the call waited for Retry-After')
  const lowest = Math.min(...watched.map((w) => w.perSecond))
  t.ok(lowest <= 50, `halved at once (${lowest}/s)`)
  t.ok(
    watched.some((w) => w.perSecond === lowest && w.burst === 0),
    'and nothing could go at once right after the 429'
  )
  // Answers without headers from now on: back up by 5% of the ceiling per second.
  const seen: number[] = []
  const t0 = Date.now()
  while (Date.now() - t0 < 20_000) {
    await mm.getStatuses([user.id])
    const rate = (await ceiling.allowance()).perSecond
    seen.push(rate)
    if (rate >= 90) break
    await new Promise((r) => setTimeout(r, 100))
  }
  const took = Date.now() - t0
  t.equal(seen.at(-1), 90, `back at the ceiling after ${took} ms`)
  t.ok(took >= 5000, 'gradually, not at once')
  t.ok(
    seen.every((r, i) => i === 0 || r >= (seen[i - 1] as number)),
    'rising all the way'
  )
  t.equal(sim.counters().throttled, 1, 'the one 429')
})

/** A stand-in answering every request 200 [] with the given rate-limit headers, in turn. */
async function headerServer(t: Test, answers: Array<Record<string, string>>) {
  let i = 0
  const server = createServer((_req, res) => {
    const headers = answers[i++ % answers.length] ?? {}
    res.writeHead(200, { ...headers, 'Content-Type': 'application/json' })
    res.end('[]')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

t.test('bad or missing rate-limit headers are ignored safely', async (t) => {
  const redisServer = await usePrivateRedis(t)
  const redis = new Redis(redisServer.url)
  t.teardown(() => redis.disconnect())
  const garbage: Array<Record<string, string>> = [
    { 'X-Ratelimit-Limit': 'abc', 'X-Ratelimit-Remaining': '-1' },
    { 'X-Ratelimit-Limit': '101', 'X-Ratelimit-Remaining': '' },
    { 'X-Ratelimit-Limit': '0', 'X-Ratelimit-Remaining': '0' },
    { 'X-Ratelimit-Remaining': '3' },
    { 'X-Ratelimit-Limit': '1e9', 'X-Ratelimit-Remaining': 'NaN', 'X-Ratelimit-Reset': 'soon', 'Retry-After': 'Wed, 21 Oct 2015 07:28:00 GMT' }
  ]
  const url = await headerServer(t, garbage)
  const http = (key: string) => {
    const ceiling = createRateCeiling(redis, { key, perSecond: 50 })
    const client = createMattermostHttp(
      { url, botToken: 'x' },
      { ceiling, metrics: createMattermostMetrics(new Registry()), log: silent },
      { timeoutMs: 5000, maxAttempts: 2, maxThrottledAttempts: 2, backoffBaseMs: 10, maxWaitMs: 10_000 }
    )
    return { ceiling, client }
  }
  const a = http('test:garbage')
  for (let i = 0; i < 20; i++) t.equal((await a.client.call({ method: 'GET', url: `${url}/api/v4/x`, route: 'GET /x' })).status, 200)
  t.equal((await a.ceiling.allowance()).perSecond, 45, 'still at the ceiling (90% of 50/s)')
  t.equal(await redis.hget('test:garbage', 'lim'), '0', 'no server limit learned from garbage')

  // Numbers that parse but make no sense: a Reset far in the future (a timestamp, not seconds),
  // Remaining above Limit. The ceiling slows down (as it should with Remaining at 0) but stays sane.
  const odd = await headerServer(t, [
    { 'X-Ratelimit-Limit': '101', 'X-Ratelimit-Remaining': '0', 'X-Ratelimit-Reset': '1765000000' },
    { 'X-Ratelimit-Limit': '101', 'X-Ratelimit-Remaining': '5000', 'X-Ratelimit-Reset': '1' }
  ])
  const b = http('test:odd')
  for (let i = 0; i < 10; i++) await b.client.call({ method: 'GET', url: `${odd}/api/v4/x`, route: 'GET /x' })
  const allowance = await b.ceiling.allowance()
  t.ok(Number.isFinite(allowance.perSecond) && allowance.perSecond >= 1 && allowance.perSecond <= 45, `a sane rate (${allowance.perSecond}/s)`)
  t.ok(Number.isInteger(allowance.burst) && allowance.burst >= 0 && allowance.burst <= 101, `a sane burst (${allowance.burst})`)

  // Straight into the ceiling: values no header parser would produce.
  const c = createRateCeiling(redis, { key: 'test:direct', perSecond: 50 })
  await c.observe({ throttled: false, limit: Number.NaN, remaining: Infinity, resetSeconds: -5 })
  await c.observe({ throttled: true, retryAfterSeconds: Number.NaN })
  const direct = await c.allowance()
  t.ok(Number.isFinite(direct.perSecond) && direct.perSecond >= 1, `a sane rate after nonsense (${direct.perSecond}/s)`)
})
