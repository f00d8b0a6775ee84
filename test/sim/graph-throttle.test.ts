import t, { type Test } from 'tap'
import { createTokenRegistry } from '../../sim/shared/token-registry'
import { startGraphSim, type GraphSim, type GraphSimOptions } from '../../sim/graph/server'
import { simHttps, type SimHttpResponse } from '../../sim/graph/https-client'
import { seeded } from '../helpers/seeded-random'

// Outlook throttling per app and mailbox (graph.md "Throttling"): 4 concurrent, 10,000 per
// 10 minutes (throttled ones count), Retry-After, early retries noticed, an injectable share.

const T0 = Date.parse('2026-03-15T00:00:00Z')

async function start(t: Test, opts: Partial<GraphSimOptions> = {}): Promise<{ sim: GraphSim; token: string; token2: string }> {
  const tokens = createTokenRegistry()
  const sim = await startGraphSim({ tokens, now: () => T0, ...opts })
  t.teardown(() => sim.stop())
  return {
    sim,
    token: tokens.issue({ tenant: 't', clientId: 'app-1', scope: 'x/.default', ttlSeconds: 3600 }).token,
    token2: tokens.issue({ tenant: 't', clientId: 'app-2', scope: 'x/.default', ttlSeconds: 3600 }).token
  }
}

const body = (schedules: string[]) => ({
  schedules,
  startTime: { dateTime: '2026-03-15T08:00:00', timeZone: 'UTC' },
  endTime: { dateTime: '2026-03-15T18:00:00', timeZone: 'UTC' },
  availabilityViewInterval: 1440
})
const getSchedule = (sim: GraphSim, token: string, path: string, schedules: string[] = [path]): Promise<SimHttpResponse> =>
  simHttps(`${sim.url}/v1.0/users/${encodeURIComponent(path)}/calendar/getSchedule`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    body: body(schedules)
  })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/**
 * Until the simulator has received n getSchedule calls (in flight, not answered yet). The tests
 * hold those calls 3 s: the next request must reach the simulator while they are still in flight,
 * and on a loaded machine a new TLS connection alone can take longer than a few hundred ms.
 */
async function received(sim: GraphSim, n: number): Promise<void> {
  for (let i = 0; i < 400 && sim.counters().getScheduleCalls < n; i++) await sleep(5)
}

t.test('5 concurrent requests to one mailbox: the fifth is a 429 with Retry-After; other mailboxes and apps are not affected', async (t) => {
  const { sim, token, token2 } = await start(t, { latency: { perRequestMs: 3000, perScheduleMs: 0 } })
  const ada = sim.driver.addUser({ mail: 'ada@contoso.example' })
  const bob = sim.driver.addUser({ mail: 'bob@contoso.example' })
  const first = Array.from({ length: 4 }, () => getSchedule(sim, token, ada.mail))
  await received(sim, 4)
  const fifth = await getSchedule(sim, token, ada.id, [ada.mail])
  t.equal(fifth.status, 429, 'the same mailbox by id counts as the same mailbox')
  t.equal(fifth.headers['retry-after'], '2')
  t.equal(fifth.json.error.code, 'ApplicationThrottled')
  t.ok(fifth.json.error.innerError['request-id'])
  const other = await Promise.all([getSchedule(sim, token, bob.mail), getSchedule(sim, token2, ada.mail)])
  t.same(
    other.map((r) => r.status),
    [200, 200],
    'another mailbox, and another app on the same mailbox'
  )
  t.same(
    (await Promise.all(first)).map((r) => r.status),
    [200, 200, 200, 200]
  )
  const c = sim.counters()
  t.equal(c.throttled, 1)
  t.same(c.throttledByReason, { concurrency: 1 })
  t.equal(c.maxConcurrentPerMailbox, 4)
  t.equal(c.distinctPathMailboxes, 2)
})

t.test('early retries: a request before Retry-After is counted and throttled again; after it, it passes', async (t) => {
  // Retry-After outlasts the four calls held in flight, so the mailbox is idle before it passes.
  const { sim, token } = await start(t, { latency: { perRequestMs: 3000, perScheduleMs: 0 }, throttle: { retryAfterSeconds: 6 } })
  const ada = sim.driver.addUser({ mail: 'ada@contoso.example' })
  const bob = sim.driver.addUser({ mail: 'bob@contoso.example' })
  const first = Array.from({ length: 4 }, () => getSchedule(sim, token, ada.mail))
  await received(sim, 4)
  const throttled = await getSchedule(sim, token, ada.mail, [bob.mail])
  t.equal(throttled.status, 429)
  await Promise.all(first)
  t.equal(sim.counters().earlyRetries, 0)

  const early = await getSchedule(sim, token, ada.mail, [bob.mail])
  t.equal(early.status, 429, 'the mailbox is idle now, but the Retry-After has not passed')
  t.equal(early.headers['retry-after'], '6')
  t.equal(sim.counters().earlyRetries, 1)
  t.same(sim.counters().throttledByReason, { concurrency: 1, 'early-retry': 1 })

  await sleep(6100)
  const later = await getSchedule(sim, token, ada.mail, [bob.mail])
  t.equal(later.status, 200, 'after Retry-After')
  t.equal(sim.counters().earlyRetries, 1, 'not counted')

  // A 429 from the injected share blocks the same way: the identical request comes back too early.
  sim.driver.setThrottleShare(1)
  const forced = await getSchedule(sim, token, bob.mail, [ada.mail])
  t.equal(forced.status, 429)
  sim.driver.setThrottleShare(0)
  const again = await getSchedule(sim, token, bob.mail, [ada.mail])
  t.equal(again.status, 429, 'the same request again, too early')
  t.equal(sim.counters().earlyRetries, 2)
})

t.test('the 10-minute budget: requests past it are 429s, and throttled requests count', async (t) => {
  const { sim, token } = await start(t, { throttle: { mailboxRequestsPer10Min: 3, retryAfterSeconds: 1 } })
  const ada = sim.driver.addUser({ mail: 'ada@contoso.example' })
  const statuses: number[] = []
  for (let i = 0; i < 3; i++) statuses.push((await getSchedule(sim, token, ada.mail)).status)
  statuses.push((await getSchedule(sim, token, ada.mail)).status)
  t.same(statuses, [200, 200, 200, 429])
  t.same(sim.counters().throttledByReason, { window: 1 })
  await sleep(1050)
  t.equal((await getSchedule(sim, token, ada.mail)).status, 429, 'still over the budget (the 429 counted too)')
  t.same(sim.counters().throttledByReason, { window: 2 })
})

t.test('throttle share: that share of getSchedule and users requests get a 429, subscriptions do not', async (t) => {
  const { sim, token } = await start(t, { random: seeded(7), throttle: { retryAfterSeconds: 0 } })
  const users = Array.from({ length: 200 }, () => sim.driver.addUser())
  sim.driver.setThrottleShare(0.3)
  let throttled = 0
  for (const u of users) {
    const r = await getSchedule(sim, token, u.mail)
    if (r.status === 429) throttled++
    else t.equal(r.status, 200)
  }
  t.ok(throttled > 35 && throttled < 85, `about 30% of 200 (got ${throttled})`)
  t.equal(sim.counters().throttledByReason.share, throttled)
  let userThrottled = 0
  for (const u of users.slice(0, 100))
    if ((await simHttps(`${sim.url}/v1.0/users/${u.id}`, { headers: { Authorization: `Bearer ${token}` } })).status === 429) userThrottled++
  t.ok(userThrottled > 10 && userThrottled < 50, `users requests too (got ${userThrottled} of 100)`)
  const subs = await simHttps(`${sim.url}/v1.0/subscriptions`, { headers: { Authorization: `Bearer ${token}` } })
  t.equal(subs.status, 200)
  sim.driver.setThrottleShare(0)
  t.equal((await getSchedule(sim, token, users[0]!.mail)).status, 200)
  t.throws(() => sim.driver.setThrottleShare(1.5))
  sim.resetCounters()
  t.equal(sim.counters().throttled, 0)
})
