import t from 'tap'
import { startService } from '../helpers/service'
import { waitFor } from '../helpers/processes'
import { byService, MINUTE, type Person, S, statusChanges, waitForStatus } from '../helpers/statuses'

// End-to-end cases of the sync: the real web and two real worker processes against the
// simulators, over real HTTP(S), with a private Redis. Times are real: meetings are placed a
// few seconds ahead so the boundaries happen while the test watches. How late after a boundary
// or a notification a status changes is measured by bench/freshness.ts, and a sweep's duration
// by bench/sweep.ts; here: what changes, in which order, how often.

t.test('meetings drive statuses at their boundaries, with two workers', async (t) => {
  const T0 = Date.now()
  const start = T0 + 25 * S
  const people: Record<string, Person> = {}
  const svc = await startService(t, {
    workers: 2,
    env: { SWEEP_INTERVAL_SECONDS: '10' },
    before: (sims) => {
      for (const name of ['alice', 'bob', 'carol', 'dan', 'erin']) {
        const ids = sims.addPerson({ username: name, email: `${name}@example.com`, timeZone: 'Europe/Berlin' })
        people[name] = { name, ...ids }
        sims.mattermost.driver.presence(ids.mmUserId, 'active')
      }
      const g = sims.graph.driver
      g.addEvent(people['alice']!.graphUserId, { start, end: start + 15 * S, showAs: 'busy', subject: 'Design review' })
      g.addEvent(people['bob']!.graphUserId, { start, end: start + 20 * S, showAs: 'busy', subject: 'Planning' })
      g.addEvent(people['carol']!.graphUserId, { start, end: start + 10 * S, showAs: 'busy', subject: 'Part one' })
      g.addEvent(people['carol']!.graphUserId, { start: start + 10 * S, end: start + 20 * S, showAs: 'busy', subject: 'Part two' })
      g.addEvent(people['dan']!.graphUserId, { start, end: start + 10 * MINUTE, showAs: 'busy', subject: 'Long workshop' })
    }
  })
  const { sims } = svc
  const ours = byService(sims)
  t.teardown(() => {
    if (t.passing()) return
    t.comment(svc.output().slice(-6000))
  })
  const alice = people['alice']!
  const bob = people['bob']!
  const carol = people['carol']!
  const dan = people['dan']!
  const erin = people['erin']!

  // Every enrolled user gets a subscription (PUBLIC_URL is set) before the meetings start.
  await waitFor('subscriptions for all five', 20 * S, async () => (sims.graph.driver.subscriptions().length >= 5 ? true : undefined))

  // 1. Meeting start: DND by the boundary, at most MAX_EARLY_SECONDS (60) before it (the cohort's
  //    pre-roll: docs/status-rules.md#early-starts), ending at the meeting's end (rounded up to
  //    the minute, since Mattermost truncates), with the custom status.
  const dndAt = await waitForStatus(sims, alice, 'dnd', T0, 60 * S)
  t.ok(dndAt >= start - 60 * S && dndAt <= start + 5 * S, `by the start, not more than 60 s early (${dndAt - start} ms)`)
  const dnd = statusChanges(sims, alice.mmUserId).find((c) => c.to === 'dnd')!
  t.ok(ours(dnd.who), 'set by the service')
  t.equal(dnd.dndEndTime, Math.ceil((start + 15 * S) / MINUTE) * 60, 'dnd_end_time: the meeting end rounded up to the minute')
  // The custom status is the next write after the status.
  const cs = await waitFor('alice custom status', 30 * S, async () =>
    sims.mattermost.history.customStatuses.find((c) => c.userId === alice.mmUserId && c.action === 'set')
  )
  t.ok(cs.time >= dndAt, 'the custom status follows the DND')
  t.match(cs.to?.text ?? '', /meeting/i, 'says "In a meeting"')

  // 2. Manual change during a meeting is respected: bob goes Away by hand.
  await waitForStatus(sims, bob, 'dnd', T0, 10 * S)
  sims.mattermost.driver.setStatus(bob.mmUserId, 'away')
  const bobManualAt = Date.now()

  // 3. Meeting end: the previous status back, not before the end.
  const backAt = await waitForStatus(sims, alice, 'online', dndAt + 1, 60 * S)
  t.ok(backAt >= start + 15 * S - 50, `online at the end, not before (${backAt - (start + 15 * S)} ms)`)

  // 4. Back-to-back: one DND for both, no flicker at the seam, online after the second.
  const carolBack = await waitForStatus(sims, carol, 'online', start + 1, 60 * S)
  t.ok(carolBack >= start + 20 * S - 50, `carol online after the second meeting, not at the seam (${carolBack - (start + 20 * S)} ms)`)
  // From her first DND (the pre-roll may set it up to 60 s before the start).
  const carolFirstDnd = statusChanges(sims, carol.mmUserId).find((c) => c.to === 'dnd' && c.time >= start - 61 * S)?.time ?? start
  const carolChanges = statusChanges(sims, carol.mmUserId).filter((c) => c.time >= carolFirstDnd)
  const carolWho = JSON.stringify(carolChanges.map((c) => [c.time - start, c.to, c.who]))
  // What a person sees: Do Not Disturb once, then Online, no flicker at the seam. A second PUT of
  // the same Online (seen once in many runs, cause not yet known: issue 18) changes nothing
  // visible; its writer is printed so the next occurrence says who it was.
  const carolSaw = carolChanges.map((c) => c.to).filter((to, i, all) => i === 0 || all[i - 1] !== to)
  t.same(carolSaw, ['dnd', 'online'], `carol: dnd once, then online (${carolWho})`)
  t.equal(carolChanges.filter((c) => c.to === 'dnd' && ours(c.who)).length, 1, 'one DND write for both meetings')
  if (carolChanges.length > 2) t.comment(`carol: a repeated write ${carolWho}`)

  // bob's meeting has ended, and a sweep that started after its end has looked at him (its
  // summary is written when it is done): he stays Away, nothing was written after his change.
  const { Redis } = await import('ioredis')
  const redis = new Redis(svc.redis.url)
  t.teardown(() => redis.disconnect())
  const summaries = async () =>
    (await redis.lrange(`${svc.prefix}:sweeps`, 0, -1)).map((x) => JSON.parse(x) as { sweepId: string; startedAt: number; durationMs: number })
  await waitFor("a sweep after the end of bob's meeting", 60 * S, async () =>
    (await summaries()).some((x) => x.startedAt > start + 20 * S) ? true : undefined
  )
  const bobAfter = statusChanges(sims, bob.mmUserId).filter((c) => c.time > bobManualAt)
  t.same(
    bobAfter.map((c) => c.to),
    [],
    'bob: no write after he chose Away'
  )
  t.equal(sims.mattermost.driver.status(bob.mmUserId).status, 'away', 'bob is still Away')

  // 5. Cancellation mid-meeting: the notification path restores dan.
  await waitForStatus(sims, dan, 'dnd', T0, 30 * S)
  const danEvent = sims.graph.driver.listEvents(dan.graphUserId)[0]!
  const cancelledAt = Date.now()
  sims.graph.driver.deleteEvent(dan.graphUserId, danEvent.id)
  await waitForStatus(sims, dan, 'online', cancelledAt, 30 * S)

  // 6. Notifications lost: the next sweep converges.
  sims.graph.driver.setDelivery({ drop: 1 })
  const droppedBefore = sims.graph.counters().notificationsDropped
  const erinStart = Date.now()
  sims.graph.driver.addEvent(erin.graphUserId, { start: erinStart - 30 * S, end: erinStart + 5 * MINUTE, showAs: 'busy', subject: 'Surprise' })
  t.ok(sims.graph.counters().notificationsDropped > droppedBefore, "erin's notification was dropped")
  const erinDnd = await waitForStatus(sims, erin, 'dnd', erinStart, 60 * S)
  const bySweep = await waitFor('the summary of the sweep that set erin', 60 * S, async () =>
    (await summaries()).find((x) => x.startedAt <= erinDnd && x.startedAt + x.durationMs >= erinDnd)
  )
  t.ok(bySweep, `erin's DND was written while a sweep ran (${bySweep.sweepId}): the sweep, not a notification, set it`)
  sims.graph.driver.setDelivery({ drop: 0 })

  // 7. Two workers: one sweep per scheduled run for the cluster, never a double write or a double DM.
  const sweeps = await summaries()
  const elapsed = (Date.now() - T0) / 1000
  t.ok(sweeps.length >= 1, `${sweeps.length} sweeps ran`)
  t.equal(new Set(sweeps.map((x) => x.sweepId)).size, sweeps.length, 'no sweep ran twice')
  // An upper bound only (the scheduled ones, one per 10 s, plus at most one for enrolment): a slow
  // machine makes fewer sweeps, never more, so this cannot fail for being slow.
  t.ok(sweeps.length <= Math.ceil(elapsed / 10) + 2, `${sweeps.length} sweeps in ${elapsed.toFixed(0)} s with two workers: one per interval`)
  for (const p of Object.values(people)) {
    const changes = statusChanges(sims, p.mmUserId)
    const dndOverDnd = changes.filter((c) => ours(c.who) && c.from === 'dnd' && c.to === 'dnd')
    t.equal(dndOverDnd.length, 0, `${p.name}: never DND over DND (it would strand the user in DND)`)
  }
  const dms = sims.mattermost.history.posts.filter((p) => p.kind === 'create')
  t.ok(dms.length >= 4, `${dms.length} DMs sent: "no DM twice" is checked on something`)
  const seen = new Set<string>()
  for (const dm of dms) {
    const key = `${dm.channelId}:${dm.message}`
    t.notOk(seen.has(key), `no DM twice (${dm.message.slice(0, 40)})`)
    seen.add(key)
  }
  t.same(sims.mattermost.contractViolations, [], 'every Mattermost request matched the OpenAPI contract')
  t.equal(sims.graph.counters().earlyRetries, 0, 'no Graph request came back before its Retry-After')
})
