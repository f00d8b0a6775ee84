import t, { type Test } from 'tap'
import { createServer, type Server } from 'node:http'
import { Redis } from 'ioredis'
import pino from 'pino'
import { Registry } from 'prom-client'
import { loadConfig } from '../../src/config'
import { createGraphAdapter } from '../../src/graph/create-graph-adapter'
import { createUserStore } from '../../src/store/user-store'
import { createSubscriptionStore, type StoredSubscription } from '../../src/store/subscription-store'
import { createSubscriptionUpkeep } from '../../src/app/subscription-upkeep'
import { createClusterLock } from '../../src/store/cluster-lock'
import type { ThrottleSettings } from '../../sim/graph/server'
import type { Outcome } from '../../src/app/outcome'
import { startSimulators, type Simulators } from '../../sim/index'
import { usePrivateRedis } from '../helpers/redis-server'

// Subscription upkeep: the real use case with a private Redis, the real Graph adapter
// (token flow included) against the Graph simulator over HTTPS, and a real local HTTP server as
// PUBLIC_URL that answers Graph's validation handshake and records the notifications it gets.

const log = pino({ level: 'silent' })
const HOUR = 3600_000
const PREFIX = '{upkeep}'

interface Received {
  url: string
  body: { value?: Array<{ subscriptionId: string; clientState?: string; lifecycleEvent?: string }> }
}

type HandshakeMode = 'good' | 'wrong-body' | 'error'

/** PUBLIC_URL: answers the handshake as our route does (or not, by `mode`), records deliveries. */
async function publicEndpoint(t: Test): Promise<{ url: string; setMode(m: HandshakeMode): void; received: Received[] }> {
  let mode: HandshakeMode = 'good'
  const received: Received[] = []
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const token = url.searchParams.get('validationToken')
    let raw = ''
    req.on('data', (d) => (raw += String(d)))
    req.on('end', () => {
      if (token !== null) {
        if (mode === 'good') res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(token)
        else if (mode === 'wrong-body') res.writeHead(200, { 'content-type': 'text/plain' }).end(`${token}!`)
        else res.writeHead(500, { 'content-type': 'text/plain' }).end('no')
        return
      }
      try {
        received.push({ url: url.pathname, body: JSON.parse(raw) as Received['body'] })
      } catch {
        // not JSON: ignore
      }
      res.writeHead(202).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const address = server.address()
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, setMode: (m) => (mode = m), received }
}

async function setup(
  t: Test,
  o: { lifetimeMinutes?: number; createsPerSecond?: number; runBudgetMs?: number; concurrency?: number; throttle?: Partial<ThrottleSettings> } = {}
) {
  const lifetimeMinutes = o.lifetimeMinutes ?? 4200
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const endpoint = await publicEndpoint(t)
  const sims = await startSimulators(o.throttle ? { graph: { throttle: o.throttle } } : {})
  t.teardown(() => sims.stop())
  const { config } = loadConfig({ ...sims.env, PUBLIC_URL: endpoint.url, GRAPH_SUBSCRIPTION_LIFETIME_MINUTES: String(lifetimeMinutes) })
  const registry = new Registry()
  const graph = createGraphAdapter(config.microsoft!, { log, registry, publicUrl: config.publicUrl }, { backoffBaseMs: 50 })
  const users = createUserStore(redis, PREFIX)
  const subscriptions = createSubscriptionStore(redis, PREFIX)
  const subscribed: string[][] = []
  const continued = { count: 0 }
  const run = createSubscriptionUpkeep(
    {
      api: graph.subscriptions!,
      subscriptions,
      users,
      log,
      registry,
      onSubscribed: async (ids) => void subscribed.push([...ids].sort()),
      locks: createClusterLock(redis, PREFIX),
      continueLater: async () => void (continued.count += 1)
    },
    { lifetimeMinutes, createsPerSecond: o.createsPerSecond ?? 40, concurrency: o.concurrency ?? 100, runBudgetMs: o.runBudgetMs ?? 600_000 }
  )
  let n = 0
  /** A person in both systems, enrolled in our store; `mailbox: 'ok'` unless told. */
  const enrol = async (mailbox: 'ok' | 'unknown' | 'rest-disabled' = 'ok') => {
    const name = `person${++n}`
    const ids = sims.addPerson({ username: name, email: `${name}@example.com` })
    await users.upsertFromDirectory([{ mmUserId: ids.mmUserId, email: `${name}@example.com`, username: name, timeZone: 'UTC', isSystemAdmin: false }])
    await users.setGraphIdentity(ids.mmUserId, mailbox === 'unknown' ? null : ids.graphUserId, mailbox)
    return { name, ...ids }
  }
  const gauge = async (name: string): Promise<number> => (await registry.getSingleMetric(name)!.get()).values[0]?.value ?? NaN
  const gauges = async () => ({
    active: await gauge('calstatus_subscriptions_active'),
    expiring: await gauge('calstatus_subscriptions_expiring_within_day'),
    failed: await gauge('calstatus_subscriptions_failed_last_run')
  })
  const upkeep = (): Promise<Outcome> => run({ reason: 'upkeep' })
  /** Graph's live subscriptions for a user (any app: there is only ours). */
  const inGraph = (graphUserId: string) => sims.graph.driver.subscriptions().filter((s) => s.userId === graphUserId)
  /** Pretend the stored subscription was made or renewed long ago: it expires at `expiresAt`. */
  const age = async (sub: StoredSubscription, expiresAt: number) => subscriptions.save({ ...sub, expiresAt })
  return { sims, endpoint, redis, users, subscriptions, run, upkeep, enrol, gauges, inGraph, age, registry, subscribed, continued }
}

const detail = (r: Outcome): Record<string, unknown> => (r.outcome === 'done' ? (r.detail ?? {}) : {})
const patches = (sims: Simulators): number => sims.graph.counters().requestsByRoute['PATCH /v1.0/subscriptions/{id}'] ?? 0

t.test('one subscription per enrolled user with a mailbox, stored with id, user, clientState, expiry and last renewal', async (t) => {
  const s = await setup(t)
  const people = [await s.enrol(), await s.enrol(), await s.enrol()]
  const noMailbox = await s.enrol('unknown')
  const restless = await s.enrol('rest-disabled')
  const before = Date.now()
  const r = await s.upkeep()
  const after = Date.now()
  t.match(detail(r), { created: 3, renewed: 0, deleted: 0, failed: 0, total: 3 }, 'three created')
  t.same(s.subscribed, [people.map((p) => p.mmUserId).sort()], 'the three are synced once more: changes before their subscription were never notified')
  t.equal(s.sims.graph.driver.subscriptions().length, 3, 'three in Graph')
  t.same(s.inGraph(noMailbox.graphUserId), [], 'none for a user without a Graph identity')
  t.same(s.inGraph(restless.graphUserId), [], 'none for a user whose mailbox has no REST API')
  for (const p of people) {
    const [held, ...more] = s.inGraph(p.graphUserId)
    t.equal(more.length, 0, `${p.name}: exactly one in Graph`)
    const stored = await s.subscriptions.byUser(p.mmUserId)
    if (!held || !stored) {
      t.fail(`${p.name}: missing (graph ${held?.id}, stored ${stored?.id})`)
      continue
    }
    t.equal(stored.id, held.id, `${p.name}: stored id is Graph's`)
    t.equal(stored.mmUserId, p.mmUserId)
    t.equal(stored.graphUserId, p.graphUserId)
    t.equal(stored.clientState, held.clientState, `${p.name}: the clientState Graph holds`)
    t.ok(stored.clientState.length >= 32 && stored.clientState.length <= 128, 'a secret of 32..128 characters')
    t.equal(stored.expiresAt, held.expiresAt, `${p.name}: expiry is Graph's`)
    const minutes = (stored.expiresAt - before) / 60_000
    t.ok(minutes > 4190 && minutes <= 4201, `expires in ${minutes.toFixed(0)} minutes (GRAPH_SUBSCRIPTION_LIFETIME_MINUTES=4200)`)
    t.ok(stored.lastRenewedAt >= before && stored.lastRenewedAt <= after, 'last renewal: this run')
    t.equal(stored.lastError, null)
    t.equal(held.notificationUrl, `${s.endpoint.url}/graph/notifications`)
    t.equal(held.lifecycleNotificationUrl, `${s.endpoint.url}/graph/lifecycle`)
  }
  t.equal(new Set((await Promise.all(people.map((p) => s.subscriptions.byUser(p.mmUserId)))).map((x) => x?.clientState)).size, 3, 'a different secret each')

  // The stored secret is the one Graph's notifications carry.
  const first = people[0]!
  s.sims.graph.driver.addEvent(first.graphUserId, { start: Date.now(), end: Date.now() + HOUR, subject: 'x' })
  await s.sims.graph.driver.waitForNotifications(1)
  const item = s.endpoint.received.flatMap((x) => x.body.value ?? [])[0]
  t.equal(item?.clientState, (await s.subscriptions.byUser(first.mmUserId))?.clientState, 'notifications carry the stored clientState')

  // A second run changes nothing.
  const again = await s.upkeep()
  t.match(detail(again), { created: 0, renewed: 0, deleted: 0, failed: 0, total: 3 }, 'second run: nothing to do')
  t.equal(s.sims.graph.counters().subscriptionsCreated, 3, 'no extra creation in Graph')
  t.equal(s.subscribed.length, 1, 'and nobody synced again')
})

t.test('renews those with less than half their lifetime left, leaves the others', async (t) => {
  const s = await setup(t, { lifetimeMinutes: 4200 })
  const [a, b, c] = [await s.enrol(), await s.enrol(), await s.enrol()]
  await s.upkeep()
  const subA = (await s.subscriptions.byUser(a.mmUserId))!
  const subB = (await s.subscriptions.byUser(b.mmUserId))!
  const subC = (await s.subscriptions.byUser(c.mmUserId))!
  // Half of 4,200 minutes is 35 h: a has 34 h left (renew), b 36 h (not yet), c its full lifetime.
  await s.age(subA, Date.now() + 34 * HOUR)
  const bExpiry = Date.now() + 36 * HOUR
  await s.age(subB, bExpiry)
  const patchesBefore = patches(s.sims)
  const before = Date.now()
  const r = await s.upkeep()
  t.match(detail(r), { created: 0, renewed: 1, deleted: 0, failed: 0, total: 3 }, 'one renewed')
  t.equal(patches(s.sims) - patchesBefore, 1, 'one PATCH to Graph')
  const a2 = (await s.subscriptions.byUser(a.mmUserId))!
  const b2 = (await s.subscriptions.byUser(b.mmUserId))!
  const c2 = (await s.subscriptions.byUser(c.mmUserId))!
  t.equal(a2.id, subA.id, 'a keeps its subscription')
  t.ok(a2.expiresAt - before > 69 * HOUR, `a expires in ${((a2.expiresAt - before) / HOUR).toFixed(1)} h again`)
  t.equal(a2.expiresAt, s.sims.graph.driver.subscription(subA.id)?.expiresAt, "a's stored expiry is Graph's new one")
  t.ok(a2.lastRenewedAt >= before, 'a: last renewal updated')
  t.equal(b2.lastRenewedAt, subB.lastRenewedAt, 'b: not renewed')
  t.equal(b2.expiresAt, bExpiry, 'b: expiry untouched')
  t.same(c2, subC, 'c: untouched')
})

t.test('a subscription Graph no longer knows is recreated', async (t) => {
  const s = await setup(t)
  const [a, b] = [await s.enrol(), await s.enrol()]
  await s.upkeep()
  const subA = (await s.subscriptions.byUser(a.mmUserId))!
  const subB = (await s.subscriptions.byUser(b.mmUserId))!

  // a: expired in Graph, and due for renewal here: the renewal's 404 makes a new one.
  s.sims.graph.driver.expireSubscription(subA.id)
  await s.age(subA, Date.now() + 10 * HOUR)
  const r = await s.upkeep()
  t.match(detail(r), { failed: 0, total: 2 }, 'no failure')
  const a2 = await s.subscriptions.byUser(a.mmUserId)
  t.ok(a2 && a2.id !== subA.id, 'a has a new subscription')
  t.same(
    s.inGraph(a.graphUserId).map((x) => x.id),
    [a2?.id],
    'which Graph holds'
  )
  t.equal(await s.subscriptions.get(subA.id), null, 'the old one is forgotten')
  t.equal(a2?.clientState, s.inGraph(a.graphUserId)[0]?.clientState, 'with its secret')
  t.equal(await s.subscriptions.count(), 2)

  // b: deleted in Graph (no lifecycle event), not due for renewal for another ~35 h.
  s.sims.graph.driver.expireSubscription(subB.id)
  const r2 = await s.upkeep()
  const b2 = await s.subscriptions.byUser(b.mmUserId)
  t.ok(
    b2 && b2.id !== subB.id && s.inGraph(b.graphUserId).length === 1,
    'b, gone from Graph without a lifecycle event, gets a new subscription at the next run'
  )
  t.match(detail(r2), { failed: 0 }, 'no failure either way')
})

t.test('users who left lose theirs, in Graph too', async (t) => {
  const s = await setup(t)
  const [stay, leave] = [await s.enrol(), await s.enrol()]
  await s.upkeep()
  const gone = (await s.subscriptions.byUser(leave.mmUserId))!
  t.equal(s.sims.graph.driver.subscriptions().length, 2)
  await s.users.remove(leave.mmUserId)
  const deletes = () => s.sims.graph.counters().requestsByRoute['DELETE /v1.0/subscriptions/{id}'] ?? 0
  const r = await s.upkeep()
  t.match(detail(r), { deleted: 1, created: 0, failed: 0, total: 1 }, 'one deleted')
  t.equal(deletes(), 1, 'one DELETE to Graph')
  t.same(s.inGraph(leave.graphUserId), [], 'gone from Graph')
  t.equal(s.sims.graph.driver.subscription(gone.id), undefined)
  t.equal(await s.subscriptions.get(gone.id), null, 'gone from the store')
  t.equal(await s.subscriptions.byUser(leave.mmUserId), null)
  t.ok(await s.subscriptions.byUser(stay.mmUserId), 'the one who stayed keeps theirs')
  t.equal(s.inGraph(stay.graphUserId).length, 1)

  // Graph had already dropped it: deleting is still fine (404 is what we wanted).
  const third = await s.enrol()
  await s.upkeep()
  const sub3 = (await s.subscriptions.byUser(third.mmUserId))!
  s.sims.graph.driver.expireSubscription(sub3.id)
  await s.users.remove(third.mmUserId)
  const r2 = await s.upkeep()
  t.match(detail(r2), { failed: 0, total: 1 }, 'already gone in Graph: forgotten here (by the listing) without a failure')
  t.equal(await s.subscriptions.get(sub3.id), null)
})

t.test('creations go at the configured rate; a run that reaches its budget hands over to the next', async (t) => {
  const s = await setup(t, { createsPerSecond: 20, runBudgetMs: 1000 })
  for (let i = 0; i < 30; i++) await s.enrol()
  const started = Date.now()
  const first = detail(await s.upkeep())
  const took = Date.now() - started
  // 20/s for the 1 s budget: about 20, never all 30 (that would be 30/s).
  t.ok((first['created'] as number) >= 15 && (first['created'] as number) <= 22, `about 20 in the first second (${String(first['created'])})`)
  t.equal(first['left'], 30 - (first['created'] as number), 'the rest are left for the next run')
  t.equal(s.continued.count, 1, 'which is asked for at once')
  t.ok(took < 2500, `the run stopped at its budget (${took} ms)`)
  const second = detail(await s.upkeep())
  t.equal((first['created'] as number) + (second['created'] as number), 30)
  t.equal(second['left'], 0)
  t.equal(s.continued.count, 1, 'nothing left: no next run')
  t.equal(s.sims.graph.counters().subscriptionsCreated, 30, 'each made once')

  // Many newcomers at once go through the same paced run; a few go at once.
  const newcomers = [await s.enrol(), await s.enrol(), await s.enrol()]
  t.match(detail(await s.run({ reason: 'enrolment', mmUserIds: newcomers.map((p) => p.mmUserId) })), { created: 3 })
})

t.test("Graph's subscription budget throttles creation: the run slows down, nobody fails, everyone gets one", async (t) => {
  // Time scaled: the simulator allows 10 writes per 2 s window (Graph: 1,000 per 20 s); at 50/s
  // asked, 10 go, the rest are throttled and wait for the Retry-After, until the window frees.
  const throttle = { subscriptionWritesPer20s: 10, subscriptionWritesWindowMs: 2000 }
  const s = await setup(t, { createsPerSecond: 50, concurrency: 10, throttle })
  const people = []
  for (let i = 0; i < 25; i++) people.push(await s.enrol())
  const started = Date.now()
  const r = detail(await s.upkeep())
  const took = Date.now() - started
  const c = s.sims.graph.counters()
  const throttled = c.throttledByReason['subscription-writes'] ?? 0
  t.ok(throttled > 0, `Graph throttled creations (${throttled})`)
  t.equal(r['created'], 25, 'everyone got one in the same run')
  t.equal(r['failed'], 0, 'a throttled creation is not a failure')
  t.equal(r['throttled'], throttled, 'each throttled creation went to the back of the line')
  for (const p of people) t.ok(await s.subscriptions.byUser(p.mmUserId), `${p.name} has one`)
  t.ok(took >= 4000, `25 at 10 per 2 s take at least two more windows (${took} ms)`)
  // Each 429 stops every creation until its Retry-After: a handful per window (those already on
  // their way), not a storm.
  t.ok(throttled <= 3 * 10, `slowed down, not hammering (${throttled} throttled)`)
})

t.test('a failed handshake is recorded as a failure and does not throw the job', async (t) => {
  const s = await setup(t)
  const a = await s.enrol()
  await s.upkeep()
  const subA = (await s.subscriptions.byUser(a.mmUserId))!

  s.endpoint.setMode('wrong-body')
  const b = await s.enrol()
  const r = await s.upkeep()
  t.equal(r.outcome, 'done', 'the job completes')
  t.match(detail(r), { created: 0, failed: 1, total: 1 }, 'one failure, nothing created')
  t.same(s.inGraph(b.graphUserId), [], 'Graph refused it (400 ValidationError)')
  t.equal(await s.subscriptions.byUser(b.mmUserId), null, 'nothing stored for b')
  t.equal((await s.gauges()).failed, 1, 'failed gauge: 1')
  t.ok(
    s.sims.graph.history.validations.some((v) => !v.ok),
    'Graph saw the bad handshake'
  )

  // A user whose stored subscription Graph lost: the failed re-creation is kept as its lastError.
  s.endpoint.setMode('error')
  s.sims.graph.driver.expireSubscription(subA.id)
  const r2 = await s.run({ reason: 'enrolment', mmUserIds: [a.mmUserId] })
  t.equal(r2.outcome, 'done', 'does not throw')
  t.match(detail(r2), { failed: 1 })
  const stored = await s.subscriptions.get(subA.id)
  t.match(stored?.lastError ?? '', /validation|400|200 OK/i, `lastError recorded: ${stored?.lastError}`)

  // The endpoint answers again: the next run makes both.
  s.endpoint.setMode('good')
  const r3 = await s.upkeep()
  t.match(detail(r3), { failed: 0 }, 'recovered')
  t.equal(s.inGraph(b.graphUserId).length, 1, 'b now has one')
  t.equal((await s.gauges()).failed, 0, 'failed gauge back to 0')
  // a's stored one is gone in Graph; the next run's listing finds it.
  await s.run({ reason: 'enrolment', mmUserIds: [a.mmUserId] })
  const a2 = await s.subscriptions.byUser(a.mmUserId)
  t.ok(a2 && a2.id !== subA.id && a2.lastError === null, 'a has a new one, no error')
  t.equal(s.inGraph(a.graphUserId)[0]?.id, a2?.id)
})

t.test('metrics gauges: active, expiring within a day, failed', async (t) => {
  // 2,000 minutes (33 h): renewal once under 16.7 h left, so one at 20 h is kept and counts as
  // expiring within a day.
  const s = await setup(t, { lifetimeMinutes: 2000 })
  const people = [await s.enrol(), await s.enrol(), await s.enrol(), await s.enrol()]
  await s.upkeep()
  t.same(await s.gauges(), { active: 4, expiring: 0, failed: 0 }, 'after creation: 4 active, none expiring, no failure')

  const sub0 = (await s.subscriptions.byUser(people[0]!.mmUserId))!
  const sub1 = (await s.subscriptions.byUser(people[1]!.mmUserId))!
  await s.age(sub0, Date.now() + 20 * HOUR)
  await s.age(sub1, Date.now() + 23 * HOUR)
  const r = await s.upkeep()
  t.match(detail(r), { renewed: 0 }, 'neither is due yet')
  t.same(await s.gauges(), { active: 4, expiring: 2, failed: 0 }, 'two expiring within a day')

  await s.age(sub0, Date.now() + 10 * HOUR)
  await s.upkeep()
  t.same(await s.gauges(), { active: 4, expiring: 1, failed: 0 }, 'the one under half its lifetime was renewed: one left expiring')

  await s.users.remove(people[3]!.mmUserId)
  s.endpoint.setMode('error')
  await s.enrol()
  await s.enrol()
  await s.upkeep()
  t.same(await s.gauges(), { active: 3, expiring: 1, failed: 2 }, 'one left, two creations failed')
  const text = await s.registry.metrics()
  t.match(text, /calstatus_subscriptions_active 3/, 'exposed to Prometheus')
  t.match(text, /calstatus_subscriptions_failed_last_run 2/)

  s.endpoint.setMode('good')
  await s.upkeep()
  t.same(await s.gauges(), { active: 5, expiring: 1, failed: 0 }, 'recovered')
})
