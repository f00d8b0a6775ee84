import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { startService, type RunningService } from '../helpers/service'
import { waitFor } from '../helpers/processes'
import { byService, MINUTE, type Person, S, statusChanges, waitForStatus } from '../helpers/statuses'

// Longer than the suite's 300 s per file (.taprc): real meetings run their course here.
t.setTimeout(600_000)

// The fault suite, status writes: a write held by Mattermost past the client's timeout, a worker
// killed while it writes, the whole service stopped through a meeting's end. Real web and worker
// processes, the simulators, a private Redis. Each checks the person's status at the end and
// that Mattermost never got DND over DND (it would make its own restore give back DND).

const PUT_STATUS = 'PUT /api/v4/users/{user_id}/status'

async function onePerson(t: Test, start: number, end: number, env: Record<string, string> = {}) {
  let person: Person | null = null
  const svc = await startService(t, {
    workers: 1,
    env: { SWEEP_INTERVAL_SECONDS: '10', ...env },
    before: (sims) => {
      const ids = sims.addPerson({ username: 'alice', email: 'alice@example.com' })
      person = { name: 'alice', ...ids }
      sims.mattermost.driver.presence(ids.mmUserId, 'active')
      sims.graph.driver.addEvent(ids.graphUserId, { start, end, showAs: 'busy', subject: 'Design review' })
    }
  })
  t.teardown(() => {
    if (!t.passing()) t.comment(svc.output().slice(-6000))
  })
  return { svc, alice: person as unknown as Person }
}

function checkNoDoubleDnd(t: Test, svc: RunningService, p: Person): void {
  const changes = statusChanges(svc.sims, p.mmUserId)
  t.equal(changes.filter((c) => c.from === 'dnd' && c.to === 'dnd').length, 0, 'never DND over DND')
  t.equal(changes.filter((c) => c.to === 'dnd' && c.prevStatus === 'dnd').length, 0, 'Mattermost never remembered dnd as the status to restore')
}

const dmsTo = (svc: RunningService) =>
  svc.sims.mattermost.history.posts.filter((p) => p.kind === 'create' && p.who === `api:${svc.sims.mattermost.botUserId}`).length

/** After a meeting whose DND went in once: back online after its end, one DND write, at most one DM. */
async function checkBackAfterOneDnd(t: Test, svc: RunningService, p: Person, dndAt: number, end: number, oneWrite: string): Promise<void> {
  const { sims } = svc
  const back = await waitForStatus(sims, p, 'online', dndAt + 1, end - Date.now() + 3 * MINUTE)
  t.ok(back >= end - 50, 'online after the meeting, not before')
  t.match(sims.mattermost.driver.status(p.mmUserId), { status: 'online', dnd_end_time: 0 })
  const ours = byService(sims)
  t.equal(statusChanges(sims, p.mmUserId).filter((c) => c.to === 'dnd' && ours(c.who)).length, 1, oneWrite)
  checkNoDoubleDnd(t, svc, p)
  t.ok(dmsTo(svc) <= 1, `at most one DM (${dmsTo(svc)})`)
}

t.test(
  'a DND write held 45 s by Mattermost, then applied, while a second sync of the same user runs: one DND, back online after the meeting, at most one DM',
  async (t) => {
    const T0 = Date.now()
    const start = T0 + 25 * S
    const end = start + MINUTE
    const { svc, alice } = await onePerson(t, start, end)
    const { sims } = svc
    await waitFor('a subscription for alice', 30 * S, async () => (sims.graph.driver.subscriptions().length >= 1 ? true : undefined))
    sims.mattermost.driver.injectFaults(1, { holdMs: 45 * S, route: PUT_STATUS })

    // The meeting starts; its DND write is held; meanwhile the meeting changes (a notification, a
    // second sync of alice) and sweeps run every 10 s.
    await waitFor('the DND write to be held', 60 * S, async () => (sims.mattermost.driver.pendingFaults() === 0 ? true : undefined))
    const event = sims.graph.driver.listEvents(alice.graphUserId)[0]!
    sims.graph.driver.updateEvent(alice.graphUserId, event.id, { subject: 'Design review (moved room)' })

    const dndAt = await waitForStatus(sims, alice, 'dnd', T0, 90 * S)
    t.ok(dndAt >= start + 40 * S, `the held write landed late (${Math.round((dndAt - start) / 1000)} s after the start)`)
    await checkBackAfterOneDnd(t, svc, alice, dndAt, end, 'one DND write reached Mattermost')
  }
)

t.test('the worker SIGKILLed while its DND write for a meeting start is on the wire: DND once, back online after the meeting', async (t) => {
  const T0 = Date.now()
  const start = T0 + 25 * S
  const end = start + MINUTE
  const { svc, alice } = await onePerson(t, start, end)
  const { sims } = svc
  sims.mattermost.driver.injectFaults(1, { holdMs: 5 * S, route: PUT_STATUS })
  await waitFor('the DND write to be on the wire', 60 * S, async () => (sims.mattermost.driver.pendingFaults() === 0 ? true : undefined))
  await svc.workers[0]!.stop('SIGKILL')
  await svc.addWorker()

  const dndAt = await waitForStatus(sims, alice, 'dnd', T0, 60 * S)
  await checkBackAfterOneDnd(t, svc, alice, dndAt, end, 'the new worker did not write DND again')
})

t.test('the service stopped through a meeting end: Mattermost restores by itself; back up, the service does not restore again', async (t) => {
  const T0 = Date.now()
  const start = T0 + 20 * S
  const end = Math.ceil((start + 30 * S) / MINUTE) * MINUTE // a whole minute: Mattermost's end is exact
  const { svc, alice } = await onePerson(t, start, end)
  const { sims } = svc
  const ours = byService(sims)
  const dndAt = await waitForStatus(sims, alice, 'dnd', T0, 60 * S)
  t.ok(ours(statusChanges(sims, alice.mmUserId).find((c) => c.to === 'dnd')!.who), 'set by the service')
  // Wait until the service has remembered it, then stop everything.
  const redis = new Redis(svc.redis.url)
  t.teardown(() => redis.disconnect())
  await waitFor('the DND remembered', 30 * S, async () =>
    (await redis.hget(`${svc.prefix}:user:${alice.mmUserId}`, 'remembered'))?.includes('"setStatus":"dnd"') ? true : undefined
  )
  await Promise.all([svc.workers[0]!.stop('SIGTERM'), svc.web.stop('SIGTERM')])

  const restored = await waitForStatus(sims, alice, 'online', dndAt + 1, end - Date.now() + 2 * MINUTE)
  const restore = statusChanges(sims, alice.mmUserId).find((c) => c.time === restored && c.to === 'online')!
  t.equal(restore.who, 'expiry', "Mattermost's own expiry restored her")
  t.ok(restored >= end, 'at the end, not before')

  const restartedAt = Date.now()
  await svc.addWorker()
  await waitFor('a sync of alice after the restart', 60 * S, async () => {
    const at = Number((await redis.hget(`${svc.prefix}:user:${alice.mmUserId}`, 'lastSyncAt')) ?? 0)
    return at >= restartedAt ? true : undefined
  })
  const after = statusChanges(sims, alice.mmUserId).filter((c) => c.time >= restartedAt && ours(c.who))
  t.same(after, [], 'no status write after the restart')
  t.match(sims.mattermost.driver.status(alice.mmUserId), { status: 'online', manual: false })
  t.equal(await redis.hget(`${svc.prefix}:user:${alice.mmUserId}`, 'remembered'), 'null', 'the block is forgotten (rule 12)')
  checkNoDoubleDnd(t, svc, alice)
})
