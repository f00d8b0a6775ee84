import t, { type Test } from 'tap'
import { createCohorts } from '../../../src/app/sync/cohorts'
import { planLead, READ_MARGIN_MS } from '../../../src/app/sync/plan-lead'
import { createSyncUsers } from '../../../src/app/sync/sync-users'
import type { RawScheduleItem, ScheduleResult } from '../../../src/graph/fetch-schedules'
import { cohortJobId, createJobQueue } from '../../../src/queue/create-job-queue'
import { RetryLater } from '../../../src/shared/retry-later'
import { createWakeUpStore } from '../../../src/store/wake-up-store'
import { graphTime, useSyncParts } from '../../helpers/sync-parts'
import { silentLogger as silent } from '../../helpers/web-app'

// Cohort wake-ups (docs/architecture.md, "Wake-ups") on a real Redis, real BullMQ queues and the
// Mattermost simulator; calendars from a map, as Graph would answer them.

const PREFIX = '{co}'
const MAX_EARLY_MS = 60_000

async function setup(t: Test, allowance = { perSecond: 100, burst: 0 }) {
  const parts = await useSyncParts(t, PREFIX)
  const { sim, users, defaults, sendNotice, mattermost, queues, redis } = parts
  const calendar = new Map<string, RawScheduleItem[]>()
  let fetches = 0
  const syncUsers = createSyncUsers({
    users,
    calendars: {
      fetchSchedules: async (emails) => {
        fetches += 1
        const results = new Map<string, ScheduleResult>()
        for (const e of emails) results.set(e.toLowerCase(), { kind: 'schedule', items: calendar.get(e.toLowerCase()) ?? [], fetchedAt: Date.now() })
        return { results }
      }
    },
    mattermost,
    defaults,
    sendNotice,
    canAsk: false,
    wakeUps: parts.wakeUps,
    log: silent
  })
  const markers = createWakeUpStore(redis, PREFIX)
  const jobs = createJobQueue(queues)
  const cohorts = createCohorts({ markers, jobs, syncUsers, allowance: async () => allowance, maxEarlyMs: MAX_EARLY_MS, log: silent })
  const people = async (n: number) => {
    const ids: string[] = []
    for (let i = 0; i < n; i++) {
      const u = sim.driver.addUser({ username: `person${i}`, email: `person${i}@example.com` })
      sim.driver.presence(u.id, 'active')
      await users.upsertFromDirectory([{ mmUserId: u.id, email: `person${i}@example.com`, username: `person${i}`, timeZone: 'UTC', isSystemAdmin: false }])
      await users.setGraphIdentity(u.id, `g-${i}`, 'ok')
      ids.push(u.id)
    }
    return ids
  }
  const meeting = (i: number, start: number, end: number) =>
    calendar.set(`person${i}@example.com`, [{ start: graphTime(start), end: graphTime(end), status: 'busy' }])
  return { ...parts, syncUsers, markers, jobs, cohorts, people, meeting, fetches: () => fetches }
}

t.test('planLead: enough for the writes at the allowed rate, within MAX_EARLY_SECONDS', async (t) => {
  t.equal(planLead(0, { perSecond: 10, burst: 0 }, MAX_EARLY_MS), 0, 'nobody: no lead')
  t.equal(planLead(10, { perSecond: 100, burst: 100 }, MAX_EARLY_MS), READ_MARGIN_MS, 'inside the burst: only the reads')
  const four = planLead(400, { perSecond: 200, burst: 0 }, MAX_EARLY_MS)
  t.ok(four > 4000 && four < 8000, `400 people at 200/s: ${four} ms (802 calls in 4 s, with room)`)
  t.equal(planLead(3500, { perSecond: 100, burst: 0 }, MAX_EARLY_MS), MAX_EARLY_MS, 'more than a minute of writes: capped')
  t.equal(planLead(400, { perSecond: 10, burst: 0 }, 0), 0, 'MAX_EARLY_SECONDS=0: never early')
})

t.test('the early run waits in the queue until the pre-roll begins, then starts the shards', async (t) => {
  const { wakeUps, cohorts, queues, people } = await setup(t, { perSecond: 10, burst: 0 })
  const ids = await people(3)
  const far = Date.now() + 50_000
  for (const id of ids) await wakeUps.schedule(id, far)
  const waited = await cohorts.run({ at: far, run: 'early' }).catch((err: unknown) => err)
  t.ok(waited instanceof RetryLater, 'too early to write: the job is delayed')
  const lead = planLead(3, { perSecond: 10, burst: 0 }, MAX_EARLY_MS)
  t.ok(Math.abs((waited as RetryLater).afterMs - (far - lead - Date.now())) < 500, 'until `lead` before the instant')

  const near = Date.now() + 2000
  for (const id of ids) await wakeUps.schedule(id, near)
  t.match(await cohorts.run({ at: near, run: 'early' }), { outcome: 'done', detail: { members: 3 } })
  const shard = await queues.sync.getJob(`${cohortJobId(near, 'early')}-0`)
  t.same([...(shard?.data.userIds ?? [])].sort(), [...ids].sort(), 'one shard with the three of them')
})

t.test('an early shard enters starting blocks before their start, and leaves ends to the on-time run', async (t) => {
  const { sim, wakeUps, cohorts, markers, people, meeting } = await setup(t)
  const [starter, ender] = await people(2)
  const at = Math.ceil((Date.now() + 20_000) / 1000) * 1000
  meeting(0, at, at + 10 * 60_000)
  meeting(1, at - 30 * 60_000, at)
  await cohorts.shard({ at: Date.now(), run: 'on-time', userIds: [ender!] }) // enter the ender's meeting
  t.equal(sim.driver.status(ender!).status, 'dnd')
  await wakeUps.schedule(starter!, at)
  t.same((await markers.cohort(at)).sort(), [starter, ender].sort(), 'both due at the instant')

  const summary = await cohorts.shard({ at, run: 'early', userIds: [starter!, ender!] })
  t.ok(Date.now() < at, 'the shard ran before the instant')
  t.match(summary, { outcome: 'done', detail: { changes: 1 } })
  t.match(
    sim.driver.status(starter!),
    { status: 'dnd', dnd_end_time: Math.ceil((at + 10 * 60_000) / 60_000) * 60 },
    'the starter is in DND already, to the end (rounded up to the minute)'
  )
  t.equal(await markers.get(starter!), at + 10 * 60_000, "the starter's next wake-up is the meeting's end")
  t.equal(await markers.get(ender!), at, 'the ender still wakes at the instant: ends are never early')
})

t.test('the on-time run closes the cohort; members another job holds get a wake-up of their own', async (t) => {
  const { wakeUps, cohorts, users, queues, people, meeting } = await setup(t)
  const ids = await people(3)
  const at = Date.now() + 500
  ids.forEach((_, i) => meeting(i, at, at + 60_000))
  for (const id of ids) await wakeUps.schedule(id, at)
  const held = await users.lease(ids[2]!, 30_000)
  t.ok(held, 'another job holds the third person')
  await new Promise((r) => setTimeout(r, at - Date.now() + 10))

  t.match(await cohorts.run({ at, run: 'on-time' }), { outcome: 'done', detail: { members: 3 } })
  await wakeUps.schedule('late-joiner', at)
  const own = () => queues.sync.getJobs(['delayed', 'waiting']).then((js) => js.filter((j) => j.name === 'wake-up').map((j) => j.data.userId))
  t.same(await own(), ['late-joiner'], 'a join after the on-time run: a wake-up of their own')

  const result = await cohorts.shard({ at, run: 'on-time', userIds: ids })
  t.match(result, { outcome: 'done', detail: { changes: 2, again: 1 } })
  t.same((await own()).sort(), ['late-joiner', ids[2]].sort(), 'the held one is tried again by a wake-up of their own, not lost')
})

t.test('a calendar that could not be read: a single sync fails (its job retries), a shard tells who to try again', async (t) => {
  const { users, defaults, sendNotice, mattermost, wakeUps, people } = await setup(t)
  const [id] = await people(1)
  const syncUsers = createSyncUsers({
    users,
    calendars: {
      fetchSchedules: async (emails) => ({
        results: new Map<string, ScheduleResult>(emails.map((e) => [e.toLowerCase(), { kind: 'failed', reason: '503 ServiceUnavailable' }]))
      })
    },
    mattermost,
    defaults,
    sendNotice,
    canAsk: false,
    wakeUps,
    log: silent
  })
  await t.rejects(syncUsers([id!], { reason: 'wake-up', failIfBusy: true }), { name: 'CalendarReadError' }, 'a wake-up does not complete without its read')
  t.match((await users.get(id!))?.lastError, /calendar: 503/, 'the reason is on the record (admin page, /calstatus status)')
  const told: string[] = []
  await syncUsers([id!], { reason: 'wake-up', failIfBusy: false, onNotDone: (who, why) => told.push(`${who}:${why}`) })
  t.same(told, [`${id}:failed`])
})
