import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { startService, type RunningService } from '../helpers/service'
import { waitFor } from '../helpers/processes'
import { byService, MINUTE, type Person, S, statusChanges, syncQueueOf, syncSettled, waitForStatus } from '../helpers/statuses'
import { createSubscriptionStore } from '../../src/store/subscription-store'
import { createUserStore } from '../../src/store/user-store'
import type { Simulators } from '../../sim/index'
import type { DeliveryRecord, NotificationItem } from '../../sim/graph/server'

// Change notifications end to end: the real web and worker processes (Procfile) against the three
// simulators with a private Redis. Graph's change notifications and lifecycle events reach the
// web process over real HTTP; statuses are read from the Mattermost simulator's history.

const subOf = (sims: Simulators, p: Person) => sims.graph.driver.subscriptions().find((s) => s.userId === p.graphUserId)

/** Never DND over DND by the service (it would strand the user in DND), never the same DM twice. */
function checkNoDoubleWrites(t: Test, svc: RunningService, people: Person[]): void {
  const { sims } = svc
  const ours = byService(sims)
  for (const p of people) {
    const dndOverDnd = statusChanges(sims, p.mmUserId).filter((c) => ours(c.who) && c.from === 'dnd' && c.to === 'dnd')
    t.equal(dndOverDnd.length, 0, `${p.name}: never DND over DND`)
  }
  const dms = sims.mattermost.history.posts.filter((x) => x.kind === 'create')
  t.ok(dms.length >= people.length / 2, `${dms.length} DMs sent: "never the same DM twice" is checked on something`)
  const seen = new Set<string>()
  for (const dm of dms) {
    const key = `${dm.channelId}:${dm.message}`
    if (seen.has(key)) t.fail(`a DM sent twice: ${dm.message.slice(0, 60)}`)
    seen.add(key)
  }
}

t.test('change notifications and lifecycle events, end to end', async (t) => {
  const people: Record<string, Person> = {}
  const names = ['lat1', 'lat2', 'lat3', 'lat4', 'lat5', 'reauth', 'removed', 'missed', 'dup1', 'dup2', 'dup3', 'dup4']
  const svc = await startService(t, {
    workers: 1,
    // No sweep during the test: what heals a user here is the notification or lifecycle path.
    env: { SWEEP_INTERVAL_SECONDS: '600' },
    before: (sims) => {
      for (const name of names) {
        const ids = sims.addPerson({ username: name, email: `${name}@example.com`, timeZone: 'Europe/Berlin' })
        people[name] = { name, ...ids }
        sims.mattermost.driver.presence(ids.mmUserId, 'active')
      }
    }
  })
  const { sims } = svc
  t.teardown(() => {
    if (t.passing()) return
    t.comment(svc.output().slice(-6000))
  })
  const redis = new Redis(svc.redis.url)
  t.teardown(() => redis.disconnect())
  const store = createSubscriptionStore(redis, svc.prefix)
  const users = createUserStore(redis, svc.prefix)
  const syncQueue = syncQueueOf(t, svc.redis.url, svc.prefix)
  /** Whatever a notification for `p` caused since `since` has been done (BullMQ says so). */
  const settled = (p: Person, since: number) => syncSettled(syncQueue, p.mmUserId, since, 30 * S)
  const everyone = Object.values(people)
  const P = (name: string) => people[name]!

  // Every enrolled user has a subscription in Graph and in our store, and the enrolment syncs ran.
  await waitFor('a subscription for everyone', 30 * S, async () => {
    for (const p of everyone) {
      const g = subOf(sims, p)
      if (!g || (await store.byUser(p.mmUserId))?.id !== g.id) return undefined
    }
    return true
  })
  await waitFor('enrolment syncs', 20 * S, async () => {
    const recs = await users.getMany(everyone.map((p) => p.mmUserId))
    return [...recs.values()].every((u) => u.lastSyncAt > 0) && recs.size === everyone.length ? true : undefined
  })

  // How fast (delivery to DND) is measured by bench/freshness.ts ("notification delivered ->
  // status"); here: the change reaches the user through its notification, once, in order.
  await t.test('a meeting created through the Graph simulator turns the user to DND through its change notification, once', async (t) => {
    const figures: Array<{ name: string; fromAnswer: number; fromPost: number; fromChange: number }> = []
    for (const p of ['lat1', 'lat2', 'lat3', 'lat4', 'lat5'].map(P)) {
      const sub = subOf(sims, p)!
      const added = Date.now()
      sims.graph.driver.addEvent(p.graphUserId, { start: added, end: added + 30 * MINUTE, showAs: 'busy', subject: 'Sudden call' })
      const dndAt = await waitForStatus(sims, p, 'dnd', added, 30 * S)
      const delivery = sims.graph.history.deliveries.find(
        (r) => r.kind === 'notification' && r.status >= 200 && r.status < 300 && r.time >= added && r.items.some((i) => i.subscriptionId === sub.id)
      )
      if (!delivery) {
        t.fail(`${p.name}: no delivery record for subscription ${sub.id}`)
        continue
      }
      const postSentAt = delivery.time - delivery.latencyMs
      t.ok(dndAt >= postSentAt, `${p.name}: DND after the notification was sent (no sweep runs here: it came through it)`)
      const dnd = statusChanges(sims, p.mmUserId).find((c) => c.to === 'dnd')!
      t.ok(byService(sims)(dnd.who), `${p.name}: set by the service`)
      // The job the notification made is done (custom status and DM included) before the next one.
      await settled(p, added)
      t.same(
        statusChanges(sims, p.mmUserId)
          .filter((c) => c.time >= added)
          .map((c) => c.to),
        ['dnd'],
        `${p.name}: one status write`
      )
      figures.push({ name: p.name, fromAnswer: dndAt - delivery.time, fromPost: Math.round(dndAt - postSentAt), fromChange: dndAt - added })
    }
    t.equal(figures.length, 5, 'all five went through their notification')
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)
    const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)] ?? NaN
    const a = figures.map((f) => f.fromAnswer)
    t.comment(
      `(for information, not checked) DND after the delivery's answer: median ${median(a)} ms, min ${Math.min(...a)}, max ${Math.max(...a)}; after the POST was sent: median ${median(figures.map((f) => f.fromPost))} ms; after the calendar change: median ${median(figures.map((f) => f.fromChange))} ms`
    )
  })

  await t.test('lifecycle: reauthorizationRequired renews the subscription', async (t) => {
    const p = P('reauth')
    const sub = subOf(sims, p)!
    const stored = (await store.byUser(p.mmUserId))!
    const route = (k: string) => sims.graph.counters().requestsByRoute[k] ?? 0
    const reauthBefore = route('POST /v1.0/subscriptions/{id}/reauthorize')
    const patchBefore = route('PATCH /v1.0/subscriptions/{id}')
    const rec = await sims.graph.driver.sendLifecycle(sub.id, 'reauthorizationRequired')
    t.equal(rec?.status, 202, 'the lifecycle event was accepted')
    const renewed = await waitFor('expiry extended in Graph', 10 * S, async () => {
      const now = sims.graph.driver.subscription(sub.id)
      return now && now.expiresAt > sub.expiresAt ? now : undefined
    })
    t.ok(renewed.expiresAt > sub.expiresAt, `expiry extended by ${((renewed.expiresAt - sub.expiresAt) / S).toFixed(1)} s`)
    t.equal(route('POST /v1.0/subscriptions/{id}/reauthorize') - reauthBefore, 1, 'reauthorized in Graph')
    t.equal(route('PATCH /v1.0/subscriptions/{id}') - patchBefore, 1, 'and renewed (PATCH expirationDateTime)')
    const after = await waitFor('store updated', 5 * S, async () => {
      const s = await store.byUser(p.mmUserId)
      return s && s.expiresAt === renewed.expiresAt ? s : undefined
    })
    t.equal(after.id, sub.id, 'the same subscription')
    t.ok(after.lastRenewedAt > stored.lastRenewedAt, 'last renewal recorded')
    t.equal(after.clientState, stored.clientState, 'same secret')
  })

  await t.test('lifecycle: subscriptionRemoved makes a new subscription and syncs the user', async (t) => {
    const p = P('removed')
    const old = subOf(sims, p)!
    // A change whose notification is lost: only the resync can show it.
    sims.graph.driver.setDelivery({ drop: 1 })
    const droppedBefore = sims.graph.counters().notificationsDropped
    const changed = Date.now()
    sims.graph.driver.addEvent(p.graphUserId, { start: changed, end: changed + 30 * MINUTE, showAs: 'busy', subject: 'Lost change' })
    t.ok(sims.graph.counters().notificationsDropped > droppedBefore, 'the simulator dropped the notification')
    t.equal(statusChanges(sims, p.mmUserId).filter((c) => c.time >= changed).length, 0, 'nothing happened: the notification was dropped')
    const sent = Date.now()
    const rec = await sims.graph.driver.sendLifecycle(old.id, 'subscriptionRemoved')
    t.equal(rec?.status, 202, 'the lifecycle event was accepted')
    const dndAt = await waitForStatus(sims, p, 'dnd', changed, 30 * S)
    t.ok(dndAt >= sent, 'synced: DND after subscriptionRemoved (the notification was lost)')
    const fresh = await waitFor('a new subscription in Graph', 10 * S, async () => {
      const s = subOf(sims, p)
      return s && s.id !== old.id ? s : undefined
    })
    t.not(fresh.id, old.id, 'a new subscription')
    const stored = await waitFor('the new one stored', 5 * S, async () => {
      const s = await store.byUser(p.mmUserId)
      return s?.id === fresh.id ? s : undefined
    })
    t.equal(stored.clientState, fresh.clientState, 'with the secret Graph holds')
    t.equal(await store.get(old.id), null, 'the old one is forgotten')
    t.equal(sims.graph.driver.subscriptions().filter((s) => s.userId === p.graphUserId).length, 1, 'exactly one in Graph')
    sims.graph.driver.setDelivery({ drop: 0 })

    // The new subscription works: a cancellation arrives through it.
    const ev = sims.graph.driver.listEvents(p.graphUserId)[0]!
    const cancelled = Date.now()
    sims.graph.driver.deleteEvent(p.graphUserId, ev.id)
    await waitForStatus(sims, p, 'online', cancelled, 30 * S)
    t.ok(
      sims.graph.history.deliveries.some(
        (r) => r.kind === 'notification' && r.time >= cancelled && r.items.some((i) => i.subscriptionId === fresh.id) && r.status === 202
      ),
      'the notification came on the new subscription and was accepted'
    )
  })

  await t.test('lifecycle: missed resyncs the user', async (t) => {
    const p = P('missed')
    const sub = subOf(sims, p)!
    sims.graph.driver.setDelivery({ paused: true })
    const changed = Date.now()
    sims.graph.driver.addEvent(p.graphUserId, { start: changed, end: changed + 30 * MINUTE, showAs: 'busy', subject: 'Held back' })
    // Held at once (addEvent hands the change to the paused delivery): nothing went out for it.
    await sims.graph.driver.deliveryIdle()
    t.notOk(
      sims.graph.history.deliveries.some((r) => r.time >= changed && r.items.some((i) => i.subscriptionId === sub.id)),
      'the notification is held back'
    )
    t.equal(statusChanges(sims, p.mmUserId).filter((c) => c.time >= changed).length, 0, 'nothing happened: deliveries are paused')
    const sent = Date.now()
    const rec = await sims.graph.driver.sendLifecycle(sub.id, 'missed')
    t.equal(rec?.status, 202, 'the lifecycle event was accepted')
    const dndAt = await waitForStatus(sims, p, 'dnd', changed, 30 * S)
    t.ok(dndAt >= sent, 'DND after "missed" (the notification was held back)')
    t.equal(subOf(sims, p)?.id, sub.id, 'the subscription stays')
    await settled(p, sent)
    // The held notification finally arrives: it changes nothing (its sync runs and writes nothing).
    const released = Date.now()
    sims.graph.driver.setDelivery({ paused: false })
    await sims.graph.driver.deliveryIdle()
    t.ok(
      sims.graph.history.deliveries.some((r) => r.time >= released && r.status === 202 && r.items.some((i) => i.subscriptionId === sub.id)),
      'the held notification was delivered and accepted'
    )
    await settled(p, released)
    const writes = statusChanges(sims, p.mmUserId).filter((c) => c.time >= changed)
    t.same(
      writes.map((c) => c.to),
      ['dnd'],
      'one DND, nothing after the late notification'
    )
  })

  await t.test('duplicated and reordered deliveries: statuses right, nothing written twice', async (t) => {
    const [d1, d2, d3, d4] = ['dup1', 'dup2', 'dup3', 'dup4'].map(P) as [Person, Person, Person, Person]
    const dupBefore = sims.graph.counters().notificationsDuplicated
    sims.graph.driver.setDelivery({ duplicate: 1, reorder: true })
    const start = Date.now()
    const evs = [d1, d2, d3, d4].map((p) =>
      sims.graph.driver.addEvent(p.graphUserId, { start, end: start + 30 * MINUTE, showAs: 'busy', subject: `Meeting of ${p.name}` })
    )
    // d3 also gets a second change right away (an update of the same event).
    sims.graph.driver.updateEvent(d3.graphUserId, evs[2]!.id, { subject: 'Renamed' })
    for (const p of [d1, d2, d3, d4]) await waitForStatus(sims, p, 'dnd', start, 30 * S)
    await sims.graph.driver.deliveryIdle()
    for (const p of [d1, d2, d3, d4]) await settled(p, start)
    // d2's meeting is cancelled: several notifications, duplicated and shuffled.
    const cancelled = Date.now()
    sims.graph.driver.deleteEvent(d2.graphUserId, evs[1]!.id)
    await waitForStatus(sims, d2, 'online', cancelled, 30 * S)
    await sims.graph.driver.deliveryIdle()
    await settled(d2, cancelled)

    // A stale duplicate long after the fact (Graph's at-least-once delivery): replayed as is.
    const firstOfD1 = sims.graph.history.deliveries.find(
      (r: DeliveryRecord) => r.kind === 'notification' && r.status === 202 && r.time >= start && r.items.some((i) => i.subscriptionId === subOf(sims, d1)?.id)
    )
    t.ok(firstOfD1, 'a delivery for dup1 to replay')
    const replayed = Date.now()
    if (firstOfD1) {
      const items = (firstOfD1.items as NotificationItem[]).filter((i) => i.subscriptionId === subOf(sims, d1)?.id)
      const res = await fetch(`${svc.webUrl}/graph/notifications`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: items })
      })
      t.equal(res.status, 202, 'the replay is accepted (authentic)')
    }
    // The sync the replay made has run (and, below, written nothing).
    await settled(d1, replayed)
    sims.graph.driver.setDelivery({ duplicate: 0, reorder: false })

    const dups = sims.graph.counters().notificationsDuplicated - dupBefore
    t.ok(dups >= 5, `${dups} notifications were delivered twice`)
    const ours = byService(sims)
    for (const p of [d1, d3, d4]) {
      t.equal(sims.mattermost.driver.status(p.mmUserId).status, 'dnd', `${p.name} is in DND`)
      const writes = statusChanges(sims, p.mmUserId).filter((c) => c.time >= start && ours(c.who))
      t.same(
        writes.map((c) => c.to),
        ['dnd'],
        `${p.name}: exactly one status write`
      )
      const cs = sims.mattermost.history.customStatuses.filter((c) => c.userId === p.mmUserId && c.time >= start && c.action === 'set')
      t.equal(cs.length, 1, `${p.name}: the custom status set once`)
    }
    t.equal(sims.mattermost.driver.status(d2.mmUserId).status, 'online', 'dup2 is back online after the cancellation')
    t.same(
      statusChanges(sims, d2.mmUserId)
        .filter((c) => c.time >= start && ours(c.who))
        .map((c) => c.to),
      ['dnd', 'online'],
      'dup2: DND then online, once each'
    )
    const dmsAfter = sims.mattermost.history.posts.filter((x) => x.kind === 'create' && x.time >= start)
    const dmUsers = [d1, d2, d3, d4].map((p) => sims.mattermost.driver.directChannelId(sims.mattermost.botUserId, p.mmUserId))
    for (const [i, ch] of dmUsers.entries()) {
      t.equal(dmsAfter.filter((x) => x.channelId === ch).length, 1, `dup${i + 1}: one DM for the meeting`)
    }
  })

  checkNoDoubleWrites(t, svc, everyone)
  t.same(sims.mattermost.contractViolations, [], 'every Mattermost request matched the OpenAPI contract')
  t.equal(sims.graph.counters().earlyRetries, 0, 'no Graph request came back before its Retry-After')
})
