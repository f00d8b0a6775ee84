import t, { type Test } from 'tap'
import { createTokenRegistry } from '../../sim/shared/token-registry'
import { REALISTIC_LATENCY, startGraphSim, type GraphSim, type GraphSimOptions } from '../../sim/graph/server'
import { simHttps, type SimHttpResponse } from '../../sim/graph/https-client'
import { seeded } from '../helpers/seeded-random'

// JSON batching as Graph does it (graph.md "JSON batching"): limits, shuffled answers, at most
// 4 inner requests at once, the same handlers and throttling inside as outside.

const T0 = Date.parse('2026-03-15T00:00:00Z')

async function start(t: Test, opts: Partial<GraphSimOptions> = {}): Promise<{ sim: GraphSim; token: string }> {
  const tokens = createTokenRegistry()
  const sim = await startGraphSim({ tokens, now: () => T0, ...opts })
  t.teardown(() => sim.stop())
  return { sim, token: tokens.issue({ tenant: 't', clientId: 'app-1', scope: 'x/.default', ttlSeconds: 3600 }).token }
}

const batch = (sim: GraphSim, token: string, body: unknown): Promise<SimHttpResponse> =>
  simHttps(`${sim.url}/v1.0/$batch`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body })

const scheduleItem = (id: string, path: string, schedules: string[]) => ({
  id,
  method: 'POST',
  url: `/users/${encodeURIComponent(path)}/calendar/getSchedule`,
  headers: { 'Content-Type': 'application/json' },
  body: {
    schedules,
    startTime: { dateTime: '2026-03-15T08:00:00', timeZone: 'UTC' },
    endTime: { dateTime: '2026-03-15T18:00:00', timeZone: 'UTC' },
    availabilityViewInterval: 1440
  }
})

t.test('a batch takes at most 20 requests with unique ids (case-insensitive); malformed payloads are 400s', async (t) => {
  const { sim, token } = await start(t)
  const u = sim.driver.addUser()
  const get = (id: string) => ({ id, method: 'GET', url: `/users/${u.id}` })
  const r21 = await batch(sim, token, { requests: Array.from({ length: 21 }, (_, i) => get(String(i))) })
  t.equal(r21.status, 400, '21 requests')
  t.equal(r21.json.error.code, 'BadRequest')
  const r20 = await batch(sim, token, { requests: Array.from({ length: 20 }, (_, i) => get(String(i))) })
  t.equal(r20.status, 200, '20 requests')
  t.equal(r20.json.responses.length, 20)
  const dup = await batch(sim, token, { requests: [get('a'), get('A')] })
  t.equal(dup.status, 400, 'ids differ only in case')
  t.match(dup.json.error.message, /unique/)
  t.equal((await batch(sim, token, { requests: [] })).status, 400, 'no requests')
  t.equal((await batch(sim, token, { nope: 1 })).status, 400, 'no requests array')
  t.equal((await batch(sim, token, { requests: [{ id: 1, method: 'GET', url: '/users' }] })).status, 400, 'a numeric id')
  t.equal((await batch(sim, token, { requests: [{ ...get('1'), dependsOn: ['2'] }, get('2')] })).status, 400, 'dependsOn a later request')
  t.equal((await simHttps(`${sim.url}/v1.0/$batch`, { method: 'GET', headers: { Authorization: `Bearer ${token}` } })).status, 405)
  t.equal(sim.counters().requestsByRoute['POST /v1.0/$batch'], 7)
})

t.test('items fail on their own: body without Content-Type, absolute or versioned URLs, nested batches, unknown routes', async (t) => {
  const { sim, token } = await start(t)
  const u = sim.driver.addUser({ mail: 'ada@contoso.example' })
  const noHeaders = { ...scheduleItem('1', u.mail, [u.mail]), headers: undefined }
  const res = await batch(sim, token, {
    requests: [
      noHeaders,
      { id: '2', method: 'GET', url: `https://graph.microsoft.com/v1.0/users/${u.id}` },
      { id: '3', method: 'GET', url: `/v1.0/users/${u.id}` },
      { id: '4', method: 'POST', url: '/$batch', headers: { 'content-type': 'application/json' }, body: { requests: [] } },
      { id: '5', method: 'GET', url: '/groups' },
      { id: '6', method: 'GET', url: `users/${u.id}`, headers: {} },
      { ...scheduleItem('7', u.mail, [u.mail]), headers: { 'CONTENT-TYPE': 'application/json' } },
      { id: '8', method: 'GET', url: '/users/nobody@contoso.example' }
    ]
  })
  t.equal(res.status, 200, 'the batch parsed: 200, each item has its own status')
  const byId = new Map<string, { status: number; headers: Record<string, string>; body: any }>(res.json.responses.map((r: { id: string }) => [r.id, r]))
  t.equal(byId.get('1')!.status, 400, 'a body without headers')
  t.match(byId.get('1')!.body.error.message, /Content-Type/)
  t.equal(byId.get('2')!.status, 400, 'absolute URL')
  t.equal(byId.get('3')!.status, 400, 'the version inside the URL')
  t.equal(byId.get('4')!.status, 400, 'nested batch')
  t.equal(byId.get('5')!.status, 400, 'unknown route')
  t.equal(byId.get('6')!.status, 200, 'leading slash optional')
  t.equal(byId.get('6')!.body.id, u.id)
  t.equal(byId.get('7')!.status, 200, 'header names in any case')
  t.equal(byId.get('7')!.body.value[0].scheduleId, u.mail)
  t.match(byId.get('7')!.headers['Content-Type'], /^application\/json/)
  t.equal(byId.get('8')!.status, 404)
  t.equal(byId.get('8')!.body.error.code, 'Request_ResourceNotFound')
  t.ok(byId.get('8')!.body.error.innerError['request-id'])
  const c = sim.counters()
  t.equal(c.batches, 1)
  t.equal(c.innerRequests, 8)
  t.equal(c.innerRequestsByRoute['POST /v1.0/users/{id}/calendar/getSchedule'], 1, 'only the item that reached the handler')
  t.same(Object.keys(c.requestsByRoute), ['POST /v1.0/$batch'], 'outer counts see only the envelope')
})

t.test('answers come back shuffled (seeded random), matched by id', async (t) => {
  const { sim, token } = await start(t, { random: seeded(42) })
  const users = Array.from({ length: 5 }, () => sim.driver.addUser())
  let nonIdentity = 0
  for (let run = 0; run < 5; run++) {
    const res = await batch(sim, token, { requests: users.map((u, i) => ({ id: `r${i}`, method: 'GET', url: `/users/${u.id}` })) })
    const order = res.json.responses.map((r: { id: string }) => r.id)
    t.same([...order].sort(), ['r0', 'r1', 'r2', 'r3', 'r4'])
    for (const r of res.json.responses) t.equal(r.body.id, users[Number(r.id.slice(1))]!.id, 'each answer belongs to its id')
    if (order.join() !== 'r0,r1,r2,r3,r4') nonIdentity++
  }
  t.ok(nonIdentity > 0, `some order was not the request order (${nonIdentity} of 5)`)
})

t.test('at most 4 inner requests run at once: 20 to one mailbox are never throttled for concurrency, and take 5 waves', async (t) => {
  const { sim, token } = await start(t, { latency: { perRequestMs: 60, perScheduleMs: 0 } })
  const u = sim.driver.addUser({ mail: 'ada@contoso.example' })
  const t0 = performance.now()
  const res = await batch(sim, token, { requests: Array.from({ length: 20 }, (_, i) => scheduleItem(`s${i}`, u.mail, [u.mail])) })
  const ms = performance.now() - t0
  t.equal(res.status, 200)
  t.same(
    res.json.responses.map((r: { status: number }) => r.status),
    Array(20).fill(200),
    'no 429 although they share the path mailbox'
  )
  t.equal(sim.counters().maxConcurrentPerMailbox, 4, '4 at once, observed')
  t.ok(ms >= 5 * 60 - 5, `five waves of 60 ms (took ${Math.round(ms)} ms)`)
  t.equal(sim.counters().getScheduleCalls, 20)
  t.equal(sim.counters().schedulesAsked, 20)
})

t.test('REALISTIC_LATENCY: a batch of 20 getSchedules x 20 addresses takes about 1.2 s', async (t) => {
  const { sim, token } = await start(t, { latency: REALISTIC_LATENCY })
  const users = Array.from({ length: 400 }, () => sim.driver.addUser())
  const requests = Array.from({ length: 20 }, (_, i) => {
    const chunk = users.slice(i * 20, i * 20 + 20).map((u) => u.mail)
    return scheduleItem(`c${i}`, chunk[0]!, chunk)
  })
  const t0 = performance.now()
  const res = await batch(sim, token, { requests })
  const ms = performance.now() - t0
  t.equal(res.status, 200)
  // 5 waves of 4 requests at ~240 ms each; one at a time would take at least 4.8 s. The upper
  // bound only tells the two apart (a slow machine adds to it); the figure itself is measured
  // by bench/graph-schedules.ts.
  t.ok(ms >= 1150, `at least 1.15 s (took ${Math.round(ms)} ms)`)
  t.ok(ms < 4000, `4 at a time, not one by one (took ${Math.round(ms)} ms)`)
  t.equal(sim.counters().schedulesAsked, 400)
  t.equal(sim.counters().distinctPathMailboxes, 20)
})

t.test('inner requests share the throttle with outer ones: a 429 item has its own Retry-After', async (t) => {
  // The three outer calls are held 3 s so the batch reaches the simulator while they are in flight.
  const { sim, token } = await start(t, { latency: { perRequestMs: 3000, perScheduleMs: 0 }, throttle: { retryAfterSeconds: 3 } })
  const u = sim.driver.addUser({ mail: 'ada@contoso.example' })
  const outer = Array.from({ length: 3 }, () =>
    simHttps(`${sim.url}/v1.0/users/${u.id}/calendar/getSchedule`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: scheduleItem('x', u.mail, [u.mail]).body
    })
  )
  for (let i = 0; i < 400 && sim.counters().getScheduleCalls < 3; i++) await new Promise((r) => setTimeout(r, 5))
  t.equal(sim.counters().getScheduleCalls, 3, 'the three outer calls are in flight')
  const res = await batch(sim, token, { requests: [scheduleItem('a', u.mail, [u.mail]), scheduleItem('b', u.mail, [u.mail])] })
  const statuses = (await Promise.all(outer)).map((r) => r.status)
  t.same(statuses, [200, 200, 200])
  const items = res.json.responses.sort((x: { id: string }, y: { id: string }) => x.id.localeCompare(y.id))
  t.equal(items[0].status, 200, 'the fourth request in flight for this mailbox passes')
  t.equal(items[1].status, 429, 'the fifth is throttled')
  t.equal(items[1].headers['Retry-After'], '3')
  t.match(items[1].body.error.code, /^(ApplicationThrottled|TooManyRequests)$/)
  t.equal(sim.counters().throttled, 1)
})

t.test('dependsOn: an item waits for the one it depends on; a failed dependency is a 424', async (t) => {
  const { sim, token } = await start(t)
  const u = sim.driver.addUser()
  const res = await batch(sim, token, {
    requests: [
      { id: '1', method: 'GET', url: '/users/nobody' },
      { id: '2', method: 'GET', url: `/users/${u.id}`, dependsOn: ['1'] },
      { id: '3', method: 'GET', url: `/users/${u.id}` },
      { id: '4', method: 'GET', url: `/users/${u.id}`, dependsOn: ['3'] }
    ]
  })
  const s = Object.fromEntries(res.json.responses.map((r: { id: string; status: number }) => [r.id, r.status]))
  t.same(s, { '1': 404, '2': 424, '3': 200, '4': 200 })
})
