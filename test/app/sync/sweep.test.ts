import t, { type Test } from 'tap'
import { Registry } from 'prom-client'
import { createSweepStore } from '../../../src/store/sweep-store'
import { createSyncUsers } from '../../../src/app/sync/sync-users'
import { createSweep, SHARD_SIZE, type SweepSummary } from '../../../src/app/sync/sweep'
import type { ScheduleResult } from '../../../src/graph/fetch-schedules'
import { graphTime, useSyncParts } from '../../helpers/sync-parts'
import { silentLogger as silent } from '../../helpers/web-app'

// The sweep against real Redis, BullMQ and the Mattermost simulator; the calendar is an
// in-test function (as in sync-users.test.ts): everyone is in a meeting now, or (for the
// tests of several shards, where only the counting matters) everyone is free.

async function setup(t: Test, people: number, opts: { inAMeeting: boolean } = { inAMeeting: true }) {
  const { redis, sim, queues, jobs, mattermost: mm, users, wakeUps, defaults, sendNotice } = await useSyncParts(t, '{s}')
  const graph = { calls: 0 }
  const syncUsers = createSyncUsers({
    users,
    calendars: {
      fetchSchedules: async (emails) => {
        graph.calls += 1
        const meeting = opts.inAMeeting ? [{ start: graphTime(Date.now() - 60_000), end: graphTime(Date.now() + 3600_000), status: 'busy' }] : []
        return { results: new Map<string, ScheduleResult>(emails.map((e) => [e.toLowerCase(), { kind: 'schedule', items: meeting, fetchedAt: Date.now() }])) }
      }
    },
    mattermost: mm,
    defaults,
    sendNotice,
    canAsk: false,
    wakeUps,
    log: silent
  })
  const registry = new Registry()
  const sweeps = createSweepStore<SweepSummary>(redis, '{s}')
  const sweep = createSweep({ users, sweeps, jobs, syncUsers, log: silent, registry })

  const ids: string[] = []
  for (let i = 0; i < people; i++) {
    const u = sim.driver.addUser({ username: `sweeper${i}`, email: `sweeper${i}@example.com` })
    sim.driver.presence(u.id, 'active')
    ids.push(u.id)
  }
  await users.upsertFromDirectory(
    ids.map((id, i) => ({ mmUserId: id, email: `sweeper${i}@example.com`, username: `sweeper${i}`, timeZone: 'UTC', isSystemAdmin: false }))
  )
  await users.setGraphIdentities(ids.map((id, i) => ({ mmUserId: id, graphUserId: `g${i}`, mailbox: 'ok' })))
  const shardJobs = async () =>
    (await queues.sweep.getJobs(['waiting'])).map((j) => j.data as { sweepId: string; shard: number; userIds: string[] }).sort((a, b) => a.shard - b.shard)
  return { sim, users, sweep, sweeps, queues, registry, graph, ids, shardJobs }
}

t.test('a sweep: shards with deterministic ids, every user evaluated, one summary, a retried shard writes nothing twice', async (t) => {
  const { sim, users, sweep, sweeps, queues, registry, graph, ids } = await setup(t, 3)

  t.match(await sweep.start('sweep-1'), { outcome: 'done', detail: { users: 3, shards: 1 } })
  await sweep.start('sweep-1') // a retried sweep job enqueues the same shard, not a second one
  const shards = await queues.sweep.getJobs(['waiting'])
  t.same(
    shards.map((j) => j.id),
    ['sweep-1-shard-0']
  )
  const data = shards[0]?.data as { sweepId: string; shard: number; userIds: string[] }
  t.same([...data.userIds].sort(), [...ids].sort())

  await sweep.shard(data)
  t.equal(graph.calls, 1, 'one Graph request for the shard')
  for (const id of ids) t.equal(sim.driver.status(id).status, 'dnd', 'every user of the shard evaluated')
  const [summary] = await sweeps.lastSummaries(10)
  t.match(summary, { sweepId: 'sweep-1', users: 3, shards: 1, changes: 3, errors: 0, graphRequests: 1, mattermostReads: 2 })
  t.match(await registry.metrics(), /calstatus_sweeps_total 1/)

  // The shard retried after the sweep finished (a worker died after running it): no second
  // summary and no second write.
  await sweep.shard(data)
  t.equal((await sweeps.lastSummaries(10)).length, 1)
  t.equal(sim.history.statuses.filter((c) => c.to === 'dnd').length, 3, 'no second write for anyone')

  for (const id of ids) await users.remove(id)
  t.match(await sweep.start('sweep-2'), { outcome: 'skipped', reason: 'no enrolled users' })
  t.match((await sweeps.lastSummaries(10))[0], { sweepId: 'sweep-2', users: 0, shards: 0 }, 'an empty sweep still leaves its summary (the sweep age stays low)')
})

t.test('several shards: the summary adds them up once each, even when one is run twice', async (t) => {
  const { sweep, sweeps, shardJobs } = await setup(t, SHARD_SIZE + 2, { inAMeeting: false })
  t.match(await sweep.start('sweep-many'), { outcome: 'done', detail: { users: SHARD_SIZE + 2, shards: 2 } })
  const [first, second] = await shardJobs()
  t.same([first?.userIds.length, second?.userIds.length], [SHARD_SIZE, 2])
  await sweep.shard(first!)
  // Counted twice, the first shard would end the sweep before the second ran.
  await sweep.shard(first!)
  t.same(await sweeps.lastSummaries(10), [], 'no summary while a shard is still to run')
  await sweep.shard(second!)
  const summaries = await sweeps.lastSummaries(10)
  t.equal(summaries.length, 1, 'one summary')
  t.match(summaries[0], { sweepId: 'sweep-many', shards: 2, users: SHARD_SIZE + 2, changes: 0, skipped: 0, errors: 0, graphRequests: 2, mattermostReads: 4 })
})

t.test('a start retried after some shards finished keeps their counts: the summary is still written', async (t) => {
  // The sweep job can fail after adding its shards (Redis hiccup, worker killed) and be retried
  // while the shards run. Resetting the sweep's counters on the retry would leave `remaining`
  // above zero for ever: the finished shards never count again, so no summary would be written.
  const { sweep, sweeps, shardJobs } = await setup(t, SHARD_SIZE + 1, { inAMeeting: false })
  await sweep.start('sweep-retried')
  const [first, second] = await shardJobs()
  await sweep.shard(first!)
  t.match(await sweep.start('sweep-retried'), { outcome: 'done', detail: { shards: 2 } }, 'the retried start')
  t.equal((await shardJobs()).length, 2, 'the same two shard jobs (deterministic ids), none added')
  await sweep.shard(second!)
  const [summary] = await sweeps.lastSummaries(10)
  t.match(summary, { sweepId: 'sweep-retried', shards: 2, users: SHARD_SIZE + 1, graphRequests: 2, mattermostReads: 4 })
})
