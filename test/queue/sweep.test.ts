import t from 'tap'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { Writable } from 'node:stream'
import { startMattermostSim } from '../../sim/mattermost/server'
import { createMattermostAdapter } from '../../src/mattermost/create-mattermost-adapter'
import { createLogger } from '../../src/observability/create-logger'
import { createUserStore } from '../../src/store/user-store'
import { createWakeUps } from '../../src/queue/wake-ups'
import { createSyncPipeline } from '../../src/queue/processors/sync-pipeline'
import { createSweep, createSweepMetrics, lastSweeps } from '../../src/queue/processors/sweep'
import type { ScheduleResult } from '../../src/graph/fetch-schedules'
import type { RememberedState, SettingsOverrides } from '../../src/domain'
import { usePrivateRedis } from '../helpers/redis-server'

// The sweep against real Redis, BullMQ and the Mattermost simulator; the calendar is an
// in-test function until the Graph simulator exists (as in sync-pipeline.test.ts).

const silent = createLogger({ level: 'silent', name: 'test' }, new Writable({ write: (_c, _e, done) => done() }))
const graphTime = (ms: number) => ({ dateTime: new Date(ms).toISOString().replace('Z', '0000'), timeZone: 'UTC' })

t.test('a sweep: shards with deterministic ids, every user evaluated, one summary, a retried shard writes nothing twice', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url, { maxRetriesPerRequest: null })
  const sim = await startMattermostSim({ botRoles: 'system_user system_user_manager', dndExpiryPeriodMs: 0 })
  const sweepQueue = new Queue('sweep', { connection: redis, prefix: '{s}' })
  const syncQueue = new Queue('sync', { connection: redis, prefix: '{s}' })
  t.teardown(async () => {
    await sweepQueue.close()
    await syncQueue.close()
    redis.disconnect()
    await sim.stop()
  })
  const mm = createMattermostAdapter(
    { url: sim.url, botToken: sim.botToken, commandToken: null, adminUsers: [], maxRequestsPerSecond: 1000 },
    { log: silent, registry: new Registry(), redis, keyPrefix: '{s}' }
  )
  const users = createUserStore<RememberedState, SettingsOverrides>(redis, '{s}')
  const wakeUps = createWakeUps(syncQueue, redis, '{s}')
  let graphCalls = 0
  const syncUsers = createSyncPipeline({
    users,
    fetchSchedules: async (emails) => {
      graphCalls += 1
      const meeting = [{ start: graphTime(Date.now() - 60_000), end: graphTime(Date.now() + 3600_000), status: 'busy' }]
      return { results: new Map<string, ScheduleResult>(emails.map((e) => [e.toLowerCase(), { kind: 'schedule', items: meeting, fetchedAt: Date.now() }])) }
    },
    mattermost: mm,
    adminDefaults: async () => ({}),
    scheduleWakeUp: (id, at) => wakeUps.schedule(id, at),
    wakeUpsToMove: (entries) => wakeUps.moved(entries),
    log: silent
  })
  const registry = new Registry()
  const sweep = createSweep({
    queue: sweepQueue,
    redis,
    prefix: '{s}',
    enrolledIds: () => users.enrolledIds(),
    syncUsers,
    log: silent,
    metrics: createSweepMetrics(registry)
  })

  const ids: string[] = []
  for (let i = 0; i < 3; i++) {
    const u = sim.driver.addUser({ username: `sweeper${i}`, email: `sweeper${i}@example.com` })
    sim.driver.presence(u.id, 'active')
    await users.upsertFromDirectory([{ mmUserId: u.id, email: `sweeper${i}@example.com`, username: `sweeper${i}`, timeZone: 'UTC', isSystemAdmin: false }])
    await users.setGraphIdentity(u.id, `g${i}`, 'ok')
    ids.push(u.id)
  }

  t.match(await sweep.start('sweep-1'), { outcome: 'done', detail: { users: 3, shards: 1 } })
  await sweep.start('sweep-1') // a retried sweep job enqueues the same shard, not a second one
  const shards = await sweepQueue.getJobs(['waiting'])
  t.same(
    shards.map((j) => j.id),
    ['sweep-1-shard-0']
  )
  const data = shards[0]?.data as { sweepId: string; shard: number; userIds: string[] }
  t.same([...data.userIds].sort(), [...ids].sort())

  await sweep.shard(data.sweepId, data.shard, data.userIds)
  t.equal(graphCalls, 1, 'one Graph request for the shard')
  for (const id of ids) t.equal(sim.driver.status(id).status, 'dnd', 'every user of the shard evaluated')
  const [summary] = await lastSweeps(redis, '{s}')
  t.match(summary, { sweepId: 'sweep-1', users: 3, shards: 1, changes: 3, errors: 0, graphRequests: 1, mattermostReads: 2 })
  t.match(await registry.metrics(), /calstatus_sweeps_total 1/)

  // The shard retried after the sweep finished (a worker died after running it): no second
  // summary and no second write. (The per-shard count guard matters with several shards: a
  // shard counted twice would end the sweep early; not covered here.)
  await sweep.shard(data.sweepId, data.shard, data.userIds)
  t.equal((await lastSweeps(redis, '{s}')).length, 1)
  t.equal(sim.history.statuses.filter((c) => c.to === 'dnd').length, 3, 'no second write for anyone')

  t.match(await sweep.start('sweep-empty-check'), { outcome: 'done' })
  await users.remove(ids[0] as string)
  await users.remove(ids[1] as string)
  await users.remove(ids[2] as string)
  t.match(await sweep.start('sweep-2'), { outcome: 'skipped', reason: 'no enrolled users' })
})
