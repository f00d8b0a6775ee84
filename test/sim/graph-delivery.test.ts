import t, { type Test } from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTokenRegistry } from '../../sim/shared/token-registry'
import { startGraphSim, type GraphSim, type GraphSimOptions, type NotificationItem } from '../../sim/graph/server'
import { simHttps } from '../../sim/graph/https-client'
import { seeded } from '../helpers/seeded-random'

// Change notifications and lifecycle events from Graph's side (graph.md "Delivery"): what is
// sent, combined POSTs, retries, drops, duplicates, reordering, pausing, lifecycle.

interface Receiver {
  url: string
  posts: Array<{ path: string; contentType: string; body: any }>
  /** status to answer notifications with (validation is always answered correctly) */
  status: number[]
  delayMs: number
}

async function receiver(t: Test): Promise<Receiver> {
  const r: Receiver = { url: '', posts: [], status: [], delayMs: 0 }
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x')
      const token = u.searchParams.get('validationToken')
      if (token !== null) return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end(token)
      r.posts.push({ path: u.pathname, contentType: String(req.headers['content-type']), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) })
      const status = r.status.shift() ?? 202
      setTimeout(() => res.writeHead(status).end(), r.delayMs)
    })
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.teardown(
    () =>
      new Promise<void>((ok) => {
        server.closeAllConnections()
        server.close(() => ok())
      })
  )
  return r
}

const NOW = Date.parse('2026-03-15T08:00:00Z')

async function setup(t: Test, opts: Partial<GraphSimOptions> = {}) {
  const clock = { now: NOW }
  const tokens = createTokenRegistry()
  const sim: GraphSim = await startGraphSim({ tokens, tenantId: 'tenant-1', now: () => clock.now, combineWindowMs: 30, deliveryRetryBaseMs: 20, ...opts })
  t.teardown(() => sim.stop())
  const token = tokens.issue({ tenant: 'tenant-1', clientId: 'app-1', scope: 'x/.default', ttlSeconds: 3600 }).token
  const rec = await receiver(t)
  const subscribe = async (userId: string, extra: Record<string, unknown> = {}) => {
    const res = await simHttps(`${sim.url}/v1.0/subscriptions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: {
        changeType: 'created,updated,deleted',
        notificationUrl: `${rec.url}/graph/notifications`,
        lifecycleNotificationUrl: `${rec.url}/graph/lifecycle`,
        resource: `users/${userId}/events`,
        expirationDateTime: new Date(clock.now + 3600_000).toISOString(),
        clientState: `state-${userId}`,
        ...extra
      }
    })
    if (res.status !== 201) throw new Error(`subscribe: ${res.status} ${res.text}`)
    return res.json as { id: string; expirationDateTime: string }
  }
  return { sim, clock, rec, subscribe }
}

const event = (h: number) => ({ start: NOW + h * 3600_000, end: NOW + (h + 1) * 3600_000, showAs: 'busy' as const, subject: 'Meeting' })

t.test('create, update, delete each notify with clientState, resource and resourceData; other users do not', async (t) => {
  const { sim, rec, subscribe } = await setup(t)
  const ada = sim.driver.addUser()
  const bob = sim.driver.addUser()
  const sub = await subscribe(ada.id)
  sim.driver.addEvent(bob.id, event(1))
  const ev = sim.driver.addEvent(ada.id, event(1))
  await sim.driver.waitForNotifications(1)
  sim.driver.updateEvent(ada.id, ev.id, { showAs: 'oof' })
  await sim.driver.waitForNotifications(2)
  sim.driver.deleteEvent(ada.id, ev.id)
  const items = await sim.driver.waitForNotifications(3)
  await sim.driver.deliveryIdle()
  t.same(
    items.map((i) => i.changeType),
    ['created', 'updated', 'deleted']
  )
  const first = rec.posts[0]!
  t.equal(first.path, '/graph/notifications')
  t.match(first.contentType, /^application\/json/)
  const item = first.body.value[0] as NotificationItem
  t.match(item, {
    subscriptionId: sub.id,
    clientState: `state-${ada.id}`,
    changeType: 'created',
    resource: `Users/${ada.id}/Events/${ev.id}`,
    resourceData: { '@odata.type': '#Microsoft.Graph.Event', '@odata.id': `Users/${ada.id}/Events/${ev.id}`, id: ev.id },
    tenantId: 'tenant-1'
  })
  t.equal(Date.parse(item.subscriptionExpirationDateTime), Date.parse(sub.expirationDateTime))
  t.equal(rec.posts.length, 3, "bob's event notified nobody")
  t.equal(sim.counters().notificationsDelivered, 3)
  t.equal(sim.deliveries.length, 3)
  t.ok(sim.deliveries.every((d) => d.status === 202 && d.attempt === 1 && d.kind === 'notification'))
  t.equal(sim.history.changes.length, 4)
})

t.test('changes within the window go out in one POST, across subscriptions; change types are filtered', async (t) => {
  const { sim, rec, subscribe } = await setup(t, { combineWindowMs: 100 })
  const ada = sim.driver.addUser()
  const bob = sim.driver.addUser()
  const cyd = sim.driver.addUser()
  await subscribe(ada.id)
  await subscribe(bob.id)
  await subscribe(cyd.id, { changeType: 'deleted' })
  sim.driver.addEvent(ada.id, event(1))
  sim.driver.addEvent(bob.id, event(2))
  sim.driver.addEvent(cyd.id, event(3))
  await sim.driver.waitForNotifications(2)
  await sim.driver.deliveryIdle()
  t.equal(rec.posts.length, 1, 'one POST')
  t.equal(rec.posts[0]!.body.value.length, 2, 'two subscriptions in it')
  t.same(new Set(rec.posts[0]!.body.value.map((i: NotificationItem) => i.subscriptionId)).size, 2)
})

t.test('5xx and failures are retried with backoff; 4xx is not', async (t) => {
  const { sim, rec, subscribe } = await setup(t, { deliveryRetries: 2 })
  const ada = sim.driver.addUser()
  await subscribe(ada.id)
  rec.status.push(503, 500)
  sim.driver.addEvent(ada.id, event(1))
  await sim.driver.waitForNotifications(1)
  t.same(
    sim.deliveries.map((d) => [d.status, d.attempt]),
    [
      [503, 1],
      [500, 2],
      [202, 3]
    ]
  )
  t.equal(sim.counters().deliveryFailures, 2)

  rec.status.push(500, 500, 500)
  sim.driver.addEvent(ada.id, event(2))
  await sim.driver.waitForDeliveries(6)
  await sim.driver.deliveryIdle()
  t.same(
    sim.deliveries.slice(3).map((d) => [d.status, d.attempt]),
    [
      [500, 1],
      [500, 2],
      [500, 3]
    ],
    'given up after the retries'
  )

  rec.status.push(400)
  sim.driver.addEvent(ada.id, event(3))
  await sim.driver.waitForDeliveries(7)
  await sim.driver.deliveryIdle()
  t.equal(sim.deliveries.length, 7, 'a 400 is final')
})

t.test('drop and duplicate switches; expired subscriptions get nothing', async (t) => {
  const { sim, clock, rec, subscribe } = await setup(t)
  const ada = sim.driver.addUser()
  await subscribe(ada.id)
  sim.driver.setDelivery({ drop: 1 })
  sim.driver.addEvent(ada.id, event(1))
  sim.driver.addEvent(ada.id, event(2))
  await sim.driver.deliveryIdle()
  t.equal(rec.posts.length, 0, 'all dropped')
  t.equal(sim.counters().notificationsDropped, 2)
  t.equal(sim.driver.subscriptions().length, 1)

  sim.driver.setDelivery({ drop: 0, duplicate: 1 })
  const ev = sim.driver.addEvent(ada.id, event(3))
  await sim.driver.waitForNotifications(2)
  await sim.driver.deliveryIdle()
  t.equal(rec.posts.length, 2, 'sent twice, in two POSTs')
  t.same(
    rec.posts.map((p) => p.body.value[0].resourceData.id),
    [ev.id, ev.id]
  )
  t.equal(sim.counters().notificationsDuplicated, 1)

  sim.driver.setDelivery({ duplicate: 0 })
  clock.now += 3600_000
  sim.driver.addEvent(ada.id, event(4))
  await sim.driver.deliveryIdle()
  t.equal(rec.posts.length, 2, 'the subscription expired: nothing more')
  t.equal(sim.driver.subscriptions().length, 0)
})

t.test('paused holds notifications until resumed; delayMs delays; reorder shuffles', async (t) => {
  const { sim, rec, subscribe } = await setup(t, { random: seeded(3), combineWindowMs: 60 })
  const ada = sim.driver.addUser()
  await subscribe(ada.id)
  sim.driver.setDelivery({ paused: true })
  sim.driver.addEvent(ada.id, event(1))
  await new Promise((r) => setTimeout(r, 150))
  t.equal(rec.posts.length, 0, 'held')
  sim.driver.setDelivery({ paused: false, delayMs: 200 })
  const t0 = Date.now()
  await sim.driver.waitForNotifications(1)
  t.ok(Date.now() - t0 >= 190, 'delayed')

  sim.driver.setDelivery({ delayMs: 0, reorder: true })
  let shuffled = 0
  for (let run = 0; run < 6; run++) {
    const before = rec.posts.length
    const ids = Array.from({ length: 6 }, (_, i) => sim.driver.addEvent(ada.id, event(i + 10)).id)
    await sim.driver.waitForNotifications(1 + (run + 1) * 6)
    await sim.driver.deliveryIdle()
    const got = rec.posts.slice(before).flatMap((p) => p.body.value.map((i: NotificationItem) => i.resourceData.id))
    t.same([...got].sort(), [...ids].sort())
    if (got.join() !== ids.join()) shuffled++
  }
  t.ok(shuffled > 0, `out of order at least once (${shuffled} of 6)`)
})

t.test('lifecycle events go to the lifecycle URL; subscriptionRemoved removes the subscription', async (t) => {
  const { sim, rec, subscribe } = await setup(t)
  const ada = sim.driver.addUser()
  const sub = await subscribe(ada.id)
  for (const ev of ['reauthorizationRequired', 'missed'] as const) {
    const r = await sim.driver.sendLifecycle(sub.id, ev)
    t.equal(r?.status, 202)
  }
  t.equal(sim.driver.subscriptions().length, 1)
  await sim.driver.sendLifecycle(sub.id, 'subscriptionRemoved')
  t.equal(sim.driver.subscriptions().length, 0, 'removed')
  t.same(
    rec.posts.map((p) => [p.path, p.body.value[0].lifecycleEvent]),
    [
      ['/graph/lifecycle', 'reauthorizationRequired'],
      ['/graph/lifecycle', 'missed'],
      ['/graph/lifecycle', 'subscriptionRemoved']
    ]
  )
  t.match(rec.posts[0]!.body.value[0], { subscriptionId: sub.id, tenantId: 'tenant-1', clientState: `state-${ada.id}` })
  t.ok(rec.posts[0]!.body.value[0].subscriptionExpirationDateTime)
  sim.driver.addEvent(ada.id, event(1))
  await sim.driver.deliveryIdle()
  t.equal(rec.posts.length, 3, 'no notification for a removed subscription')
  await t.rejects(sim.driver.sendLifecycle(sub.id, 'missed'), /no live subscription/)
  t.equal(sim.counters().lifecycleEvents, 3)

  const bob = sim.driver.addUser()
  await subscribe(bob.id)
  await sim.driver.removeUser(bob.id)
  t.equal(rec.posts.at(-1)!.body.value[0].lifecycleEvent, 'subscriptionRemoved', 'a removed user loses their subscriptions')
})

t.test('slow answers are counted; past 15% slow, notifications to that URL are dropped', async (t) => {
  const { sim, rec, subscribe } = await setup(t, { deliveryTimeoutMs: 50, combineWindowMs: 5, slowPolicy: { minSamples: 4 } })
  const ada = sim.driver.addUser()
  await subscribe(ada.id)
  rec.delayMs = 80
  for (let i = 0; i < 4; i++) {
    sim.driver.addEvent(ada.id, event(i))
    await sim.driver.waitForDeliveries(i + 1)
  }
  t.equal(sim.counters().slowDeliveries, 4)
  t.ok(sim.deliveries.every((d) => d.slow))
  rec.delayMs = 0
  sim.driver.addEvent(ada.id, event(9))
  await sim.driver.deliveryIdle()
  t.equal(rec.posts.length, 4, 'dropped')
  t.equal(sim.counters().notificationsDropped, 1)
})
